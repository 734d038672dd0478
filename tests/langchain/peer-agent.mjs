// A LangChain.js agent driving a paired peer through `opendesk mcp`: the computer tool calls carry `peer`, so they go to
// the peer's `opendesk serve` and the results start with `[on <peer>]` (this machine is made the default first, and a
// last screenshot without `peer` shows it). The scripted model looks at the screenshot the
// way a real model would: it reads the image size and the desktop geometry from the result text and clicks the centre
// of a target given in the peer's desktop pixels, in the screenshot's image pixels.
//
//   node peer-agent.mjs --home CONTROLLER_HOME --peer desk2 --target X,Y,W,H [--text hello] [--display :N]
//
// CONTROLLER_HOME must trust the peer (`opendesk pair-with ... --home CONTROLLER_HOME`). This machine's side of
// `opendesk mcp` is `--display` if given, else a private Xvfb (`--virtual-display`). Prints one JSON line: the final answer, the tool names
// the model was given, and per tool message its name, status, text and image blocks (type, mime type, first bytes).
// Run by tests/OpenDesk.IntegrationTests/Adapters/LangChainPeerRoutingTests.cs against a real loopback `opendesk serve`.
import { parseArgs } from "node:util";
import { createAgent } from "langchain";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";
import { ScriptedChatModel } from "./scripted-model.mjs";
import { opendeskServer } from "./opendesk-server.mjs";

const { values } = parseArgs({
  options: {
    home: { type: "string" },
    peer: { type: "string" },
    target: { type: "string" },
    text: { type: "string", default: "hello" },
    display: { type: "string" },
  },
});
if (!values.home || !values.peer || !values.target) {
  console.error("usage: node peer-agent.mjs --home CONTROLLER_HOME --peer NAME --target X,Y,W,H [--text TEXT] [--display :N]");
  process.exit(2);
}
const target = values.target.split(",").map(Number);
if (target.length !== 4 || target.some((n) => !Number.isInteger(n))) {
  console.error(`--target must be four integers X,Y,W,H (desktop pixels of the peer), got '${values.target}'`);
  process.exit(2);
}

const textOf = (message) =>
  Array.isArray(message.content) ? message.content.map((b) => b.text ?? "").join("\n") : String(message.content);
const isTool = (m) => m.getType?.() === "tool" || m._getType?.() === "tool";

/** The target's centre in the pixels of the last screenshot, from its text: "Screenshot WxH (...) of the desktop: desktop DWxDH at (DX, DY)". */
function clickOnTarget(messages) {
  const shot = messages.filter(isTool).at(-1);
  const text = shot ? textOf(shot) : "";
  const m = /Screenshot (\d+)x(\d+) \([a-z]+\) of [^:]+: desktop (\d+)x(\d+) at \((-?\d+), (-?\d+)\)/.exec(text);
  if (!m) {
    return { text: `no screenshot geometry in the last tool result: ${text}` };
  }
  const [iw, ih, dw, dh, dx, dy] = m.slice(1).map(Number);
  const [x, y, w, h] = target;
  const ix = Math.round(((x + w / 2 - dx) * iw) / dw);
  const iy = Math.round(((y + h / 2 - dy) * ih) / dh);
  return { calls: [{ name: "mouse", args: { action: "click", x: ix, y: iy, peer: values.peer } }] };
}

const client = new MultiServerMCPClient({
  useStandardContentBlocks: true,
  outputHandling: { image: "content", text: "content" },
  mcpServers: {
    opendesk: opendeskServer([...(values.display ? ["--display", values.display] : ["--virtual-display"]), "--home", values.home]),
  },
});

try {
  const tools = await client.getTools();
  const model = new ScriptedChatModel([
    // With one paired peer, that peer would be the implicit default: make this machine the default first, so only the
    // per-call `peer` sends the next three calls to the peer; the last screenshot (no `peer`) is this machine's.
    { calls: [{ name: "opendesk_use", args: { peer: "local" } }] },
    { calls: [{ name: "screenshot", args: { peer: values.peer } }] },
    clickOnTarget,
    { calls: [{ name: "keyboard", args: { action: "type", text: values.text, peer: values.peer } }] },
    { calls: [{ name: "screenshot", args: {} }] },
    { text: "All done." },
  ]);
  const agent = createAgent({ model, tools });
  const result = await agent.invoke({ messages: [{ role: "user", content: `On ${values.peer}: click the target and type.` }] });
  const toolMessages = result.messages.filter(isTool).map((m) => ({
    name: m.name,
    status: m.status ?? "success",
    text: textOf(m),
    images: (Array.isArray(m.content) ? m.content : [])
      .filter((b) => b.type === "image" || b.type === "image_url")
      .map((b) => ({ type: b.type, mimeType: b.mime_type ?? null, head: b.data ? Buffer.from(b.data, "base64").subarray(0, 4).toString("hex") : null })),
  }));
  console.log(JSON.stringify({
    final: result.messages.at(-1).content,
    modelCalls: model.received.length,
    tools: model.boundTools.map((t) => t.name),
    toolMessages,
  }));
} finally {
  await client.close();
}
