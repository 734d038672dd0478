// A scripted OpenAI-compatible /v1/chat/completions endpoint on 127.0.0.1 (non-streaming), recording request bodies.
import http from "node:http";

/** @param {{ calls?: { name: string, args: object }[], text?: string }[]} turns */
export async function startFakeOpenAI(turns) {
  const requests = [];
  let turn = 0;
  let callId = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const request = JSON.parse(body);
      requests.push(request);
      const step = turns[turn++] ?? { text: "done" };
      const toolCalls = (step.calls ?? []).map((c) => ({
        id: `call_${++callId}`,
        type: "function",
        function: { name: c.name, arguments: JSON.stringify(c.args) },
      }));
      const message = { role: "assistant", content: step.text ?? null };
      if (toolCalls.length) message.tool_calls = toolCalls;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({
        id: `chatcmpl-${turn}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [{ index: 0, message, finish_reason: toolCalls.length ? "tool_calls" : "stop" }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      }));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
