// LangChain.js agent (langchain createAgent + @langchain/mcp-adapters) over `opendesk mcp` (stdio) on a private Xvfb
// desktop, driven by a scripted chat model: screenshot -> mouse click -> keyboard type.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent } from "langchain";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";
import { ScriptedChatModel, threeStepScript } from "./scripted-model.mjs";
import { opendeskServer } from "./opendesk-server.mjs";
import { toolImagesMiddleware } from "./tool-images.mjs";
import { startFakeOpenAI } from "./fake-openai.mjs";

function toolMessages(messages) {
  return messages.filter((m) => m.getType?.() === "tool" || m._getType?.() === "tool");
}

function blocks(message) {
  return Array.isArray(message.content) ? message.content : [{ type: "text", text: message.content }];
}

async function withClient(options, body) {
  const home = mkdtempSync(join(tmpdir(), "opendesk-lc-"));
  const client = new MultiServerMCPClient({
    ...options,
    mcpServers: { opendesk: opendeskServer(["--virtual-display", "--home", home]) },
  });
  try {
    return await body(client);
  } finally {
    await client.close();
    rmSync(home, { recursive: true, force: true });
  }
}

test("agent runs screenshot -> click -> type over opendesk mcp and the model sees the screenshot", async () => {
  await withClient({ useStandardContentBlocks: true, outputHandling: { image: "content", text: "content" } }, async (client) => {
    const tools = await client.getTools();
    const names = tools.map((t) => t.name);
    for (const name of ["screenshot", "mouse", "keyboard", "ui", "app", "clipboard", "ocr", "opendesk_peers", "opendesk_use", "audit"]) {
      assert.ok(names.includes(name), `missing tool ${name} in ${names}`);
    }
    // The schema LangChain gets is the catalog's JSON schema (peer field included).
    const screenshot = tools.find((t) => t.name === "screenshot");
    assert.equal(screenshot.schema.additionalProperties, false);
    assert.ok("peer" in screenshot.schema.properties);

    const model = new ScriptedChatModel(threeStepScript());
    const agent = createAgent({ model, tools });
    const result = await agent.invoke({ messages: [{ role: "user", content: "Click at 200,150 and type hello." }] });

    assert.equal(result.messages.at(-1).content, "All done.");
    assert.equal(model.received.length, 4);
    assert.deepEqual(model.boundTools.map((t) => t.name).sort(), [...names].sort());

    // Call 2: the model received the screenshot's ToolMessage with a text block and a base64 image block.
    const [shot] = toolMessages(model.received[1]);
    const shotBlocks = blocks(shot);
    const text = shotBlocks.find((b) => b.type === "text");
    const image = shotBlocks.find((b) => b.type === "image");
    assert.match(text.text, /^Screenshot \d+x\d+ \(jpeg\) of the desktop/);
    assert.equal(image.source_type, "base64");
    assert.equal(image.mime_type, "image/jpeg");
    assert.ok(Buffer.from(image.data, "base64").subarray(0, 2).equals(Buffer.from([0xff, 0xd8])), "a JPEG");

    // Calls 3 and 4: the mouse and keyboard results (text only) came back without errors.
    const all = toolMessages(model.received[3]);
    assert.deepEqual(all.map((m) => m.name), ["screenshot", "mouse", "keyboard"]);
    for (const m of all) {
      assert.notEqual(m.status, "error", JSON.stringify(m.content));
    }
    const mouseText = blocks(all[1]).map((b) => b.text ?? "").join("\n");
    const keyboardText = blocks(all[2]).map((b) => b.text ?? "").join("\n");
    assert.match(mouseText, /click/i);
    assert.match(keyboardText, /typ/i);
  });
});

test("without useStandardContentBlocks the image is an image_url data URL, still in ToolMessage.content", async () => {
  await withClient({}, async (client) => {
    const tools = await client.getTools();
    const screenshot = tools.find((t) => t.name === "screenshot");
    const message = await screenshot.invoke({ id: "c1", name: "screenshot", args: {}, type: "tool_call" });
    const image = blocks(message).find((b) => b.type === "image_url");
    assert.match(image.image_url.url, /^data:image\/jpeg;base64,\/9j\//);
  });
});

test("outputHandling image -> artifact hides the screenshot from the model", async () => {
  await withClient({ useStandardContentBlocks: true, outputHandling: { image: "artifact" } }, async (client) => {
    const tools = await client.getTools();
    const screenshot = tools.find((t) => t.name === "screenshot");
    const message = await screenshot.invoke({ id: "c1", name: "screenshot", args: {}, type: "tool_call" });
    assert.ok(!blocks(message).some((b) => b.type === "image"), "no image in content");
    assert.ok(message.artifact.some((b) => b.type === "image"), "the image is in the artifact");
  });
});

test("a bad tool call comes back as an error ToolMessage and the agent continues", async () => {
  await withClient({ useStandardContentBlocks: true }, async (client) => {
    const tools = await client.getTools();
    const model = new ScriptedChatModel([
      { calls: [{ name: "mouse", args: { action: "fly" } }, { name: "opendesk_use", args: { peer: "nowhere" } }] },
      { calls: [{ name: "keyboard", args: { action: "type", text: "ok" } }] },
      { text: "recovered" },
    ]);
    const agent = createAgent({ model, tools });
    const result = await agent.invoke({ messages: [{ role: "user", content: "go" }] });
    assert.equal(result.messages.at(-1).content, "recovered");
    const [schemaError, serverError] = toolMessages(model.received[1]).map((m) => blocks(m).map((b) => b.text ?? "").join("\n"));
    // LangChain checks arguments against the tool's JSON schema before calling the server...
    assert.match(schemaError, /did not match expected schema/);
    // ...and errors from OpenDesk (isError results) reach the model with their message.
    assert.match(serverError, /unknown peer 'nowhere'/);
  });
});

test("ChatOpenAI against an OpenAI-compatible endpoint: the middleware sends screenshots in a user message", async () => {
  const endpoint = await startFakeOpenAI(threeStepScript());
  try {
    await withClient({ useStandardContentBlocks: true, outputHandling: { image: "content", text: "content" } }, async (client) => {
      const tools = await client.getTools();
      const { ChatOpenAI } = await import("@langchain/openai");
      const model = new ChatOpenAI({ model: "fake-model", apiKey: "k", configuration: { baseURL: endpoint.baseUrl } });
      const agent = createAgent({ model, tools, middleware: [toolImagesMiddleware({ maxImages: 3 })] });
      const result = await agent.invoke({ messages: [{ role: "user", content: "Click at 200,150 and type hello." }] });

      assert.equal(result.messages.at(-1).content, "All done.");
      assert.equal(endpoint.requests.length, 4);
      // The tools reach the model with the catalog's schema.
      const offered = endpoint.requests[0].tools.map((t) => t.function.name);
      assert.ok(offered.includes("screenshot") && offered.includes("opendesk_peers"));
      // Request 2: the tool message is text only; one user message with the JPEG follows it.
      const sent = endpoint.requests[1].messages;
      assert.deepEqual(sent.map((m) => m.role), ["user", "assistant", "tool", "user"]);
      assert.equal(typeof sent[2].content, "string");
      assert.match(sent[2].content, /^Screenshot \d+x\d+ \(jpeg\)[\s\S]*\[1 image attached in the next user message\]$/);
      const image = sent[3].content.find((p) => p.type === "image_url");
      assert.match(image.image_url.url, /^data:image\/jpeg;base64,\/9j\//);
      // The agent's own history still holds the image in the ToolMessage.
      const shot = toolMessages(result.messages)[0];
      assert.ok(blocks(shot).some((b) => b.type === "image"));
    });
  } finally {
    await endpoint.close();
  }
});

test("ChatOpenAI without the middleware puts the screenshot inside the tool message, which Chat Completions refuses", async () => {
  const endpoint = await startFakeOpenAI(threeStepScript());
  try {
    await withClient({ useStandardContentBlocks: true, outputHandling: { image: "content", text: "content" } }, async (client) => {
      const tools = await client.getTools();
      const { ChatOpenAI } = await import("@langchain/openai");
      const model = new ChatOpenAI({ model: "fake-model", apiKey: "k", maxRetries: 0, configuration: { baseURL: endpoint.baseUrl } });
      const agent = createAgent({ model, tools });
      await assert.rejects(
        agent.invoke({ messages: [{ role: "user", content: "Click at 200,150 and type hello." }] }),
        /400[\s\S]*may only contain text parts, not 'image_url'/,
      );
      // What ChatOpenAI sent: the JPEG as an image_url part of the role: tool message.
      const tool = endpoint.requests[1].messages.find((m) => m.role === "tool");
      assert.ok(Array.isArray(tool.content), JSON.stringify(tool.content).slice(0, 200));
      assert.match(tool.content.find((p) => p.type === "image_url").image_url.url, /^data:image\/jpeg;base64,\/9j\//);
      assert.equal(endpoint.rejections.length, 1);
    });
  } finally {
    await endpoint.close();
  }
});
