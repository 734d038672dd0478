// Runnable example: a LangChain.js agent that drives a computer through `opendesk mcp`.
//
//   cd tests/langchain && bash setup.sh
//   node example.mjs                                   # scripted fake model, private Xvfb desktop (no LLM needed)
//   node example.mjs --base-url http://127.0.0.1:8080/v1 --model qwen2.5-vl --api-key KEY   # any OpenAI-compatible endpoint
//   node example.mjs --base-url ... --desktop          # drive your own desktop instead of a private Xvfb
//
// opendesk is started as OPENDESK_COMMAND, or `dotnet $OPENDESK_DLL`, or the repo's built opendesk.dll, or `opendesk`.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAgent } from "langchain";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";
import { ScriptedChatModel, threeStepScript } from "./scripted-model.mjs";
import { opendeskServer } from "./opendesk-server.mjs";
import { toolImagesMiddleware } from "./tool-images.mjs";

const { values } = parseArgs({
  options: {
    "base-url": { type: "string" },
    model: { type: "string", default: "gpt-4.1" },
    "api-key": { type: "string" },
    desktop: { type: "boolean", default: false },
    prompt: { type: "string", default: "Take a screenshot, click at (200, 150), then type hello." },
  },
});

// 1. OpenDesk's tools over MCP (stdio). These two options keep screenshots visible to the model:
//    useStandardContentBlocks: images become standard {type: "image", source_type: "base64", ...} blocks;
//    outputHandling.image = "content": images stay in ToolMessage.content (what the model sees), not in the artifact.
const serverArgs = values.desktop ? [] : ["--virtual-display", "--home", mkdtempSync(join(tmpdir(), "opendesk-example-"))];
const client = new MultiServerMCPClient({
  useStandardContentBlocks: true,
  outputHandling: { image: "content", text: "content" },
  mcpServers: { opendesk: opendeskServer(serverArgs) },
});

try {
  const tools = await client.getTools();
  console.log(`tools: ${tools.map((t) => t.name).join(", ")}`);

  // 2. The model: a real one through an OpenAI-compatible endpoint, or the scripted fake.
  let model;
  if (values["base-url"]) {
    const { ChatOpenAI } = await import("@langchain/openai");
    model = new ChatOpenAI({ model: values.model, apiKey: values["api-key"] ?? process.env.OPENAI_API_KEY ?? "unused", configuration: { baseURL: values["base-url"] } });
  } else {
    model = new ScriptedChatModel(threeStepScript());
  }

  // 3. The agent. The middleware moves screenshots from tool messages into a user message (needed for OpenAI Chat
  //    Completions, harmless elsewhere) and re-sends only the last 3.
  const agent = createAgent({
    model,
    tools,
    systemPrompt: "You operate a computer with the OpenDesk tools. Take a screenshot before acting; coordinates are pixels of the last screenshot.",
    middleware: [toolImagesMiddleware({ maxImages: 3 })],
  });
  const result = await agent.invoke({ messages: [{ role: "user", content: values.prompt }] }, { recursionLimit: 40 });
  for (const m of result.messages) {
    const type = m.getType();
    if (type === "ai" && m.tool_calls?.length) console.log(`assistant -> ${m.tool_calls.map((c) => `${c.name}(${JSON.stringify(c.args)})`).join(", ")}`);
    else if (type === "tool") console.log(`tool ${m.name}: ${(Array.isArray(m.content) ? m.content.map((b) => b.text ?? `[${b.type} ${b.mime_type ?? ""}]`).join(" + ") : m.content).split("\n")[0]}`);
    else console.log(`${type}: ${typeof m.content === "string" ? m.content : JSON.stringify(m.content)}`);
  }
} finally {
  await client.close();
}
