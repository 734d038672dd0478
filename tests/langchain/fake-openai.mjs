// A scripted OpenAI-compatible /v1/chat/completions endpoint on 127.0.0.1 (non-streaming), recording request bodies.
// Like OpenAI (and tests/OpenDesk.Adapters.Tests/ScriptedOpenAIEndpoint.cs) it answers 400 invalid_request_error, without
// using up a turn, when tool results do not match tool calls or a `role: tool` message holds anything but text.
import http from "node:http";

/** What OpenAI would refuse in a message list, or null. */
export function checkMessages(messages) {
  const unanswered = [];
  for (const [i, m] of (messages ?? []).entries()) {
    if (m.role === "tool") {
      const at = unanswered.indexOf(m.tool_call_id);
      if (at < 0) return `Invalid parameter: messages[${i}] with role 'tool' must be a response to a preceding message with 'tool_calls' (tool_call_id '${m.tool_call_id}').`;
      unanswered.splice(at, 1);
      const other = Array.isArray(m.content) ? m.content.find((p) => p.type !== "text") : undefined;
      if (other) return `Invalid 'messages[${i}]': a message with role 'tool' may only contain text parts, not '${other.type}'.`;
      continue;
    }
    if (unanswered.length) break;
    if (m.role === "assistant") unanswered.push(...(m.tool_calls ?? []).map((c) => c.id));
  }
  return unanswered.length
    ? `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${unanswered.join(", ")}`
    : null;
}

/** @param {{ calls?: { name: string, args: object }[], text?: string }[]} turns */
export async function startFakeOpenAI(turns) {
  const requests = [];
  const rejections = [];
  let turn = 0;
  let callId = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const request = JSON.parse(body);
      requests.push(request);
      const problem = checkMessages(request.messages);
      res.setHeader("content-type", "application/json");
      if (problem) {
        rejections.push(problem);
        res.statusCode = 400;
        res.end(JSON.stringify({ error: { message: problem, type: "invalid_request_error", param: "messages", code: null } }));
        return;
      }
      const step = turns[turn++] ?? { text: "done" };
      const toolCalls = (step.calls ?? []).map((c) => ({
        id: `call_${++callId}`,
        type: "function",
        function: { name: c.name, arguments: JSON.stringify(c.args) },
      }));
      const message = { role: "assistant", content: step.text ?? null };
      if (toolCalls.length) message.tool_calls = toolCalls;
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
    rejections,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
