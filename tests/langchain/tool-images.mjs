// LangChain v1 agent middleware: keep screenshots visible to chat-completions models.
//
// @langchain/mcp-adapters puts the screenshot into ToolMessage.content (outputHandling image -> "content"). Models
// that accept images in tool results (e.g. Anthropic) need nothing more. OpenAI Chat Completions accepts images only
// in user messages, and ChatOpenAI sends ToolMessage images as image_url parts inside the `role: tool` message. This
// middleware rewrites what is sent to the model (the agent state is not changed): tool messages keep their text plus
// a note, and the images follow in ONE HumanMessage after the run of tool messages. Only the last `maxImages`
// screenshots are re-sent. The same shape as OpenDesk.Adapters' ToolImageChatClient in .NET.
import { createMiddleware } from "langchain";
import { HumanMessage, ToolMessage } from "@langchain/core/messages";

const isImage = (b) => b && (b.type === "image" || b.type === "image_url");
const isTool = (m) => (m.getType?.() ?? m._getType?.()) === "tool";

function toImageUrl(block) {
  if (block.type === "image_url") return block;
  const url = block.source_type === "base64" || block.data
    ? `data:${block.mime_type ?? block.mimeType ?? "image/png"};base64,${block.data}`
    : block.url;
  return { type: "image_url", image_url: { url } };
}

/** Returns the messages as they should be sent: tool images moved into user messages, only the last `maxImages` kept. */
export function moveToolImages(messages, maxImages = 3) {
  const total = messages.filter(isTool).reduce((n, m) => n + (Array.isArray(m.content) ? m.content.filter(isImage).length : 0), 0);
  const firstKept = Math.max(0, total - maxImages);
  let index = 0;
  const out = [];
  let pending = [];
  const flush = () => {
    if (pending.length > 0) out.push(new HumanMessage({ content: pending }));
    pending = [];
  };
  for (const m of messages) {
    if (!isTool(m)) {
      flush();
      out.push(m);
      continue;
    }
    if (!Array.isArray(m.content) || !m.content.some(isImage)) {
      out.push(m);
      continue;
    }
    const text = m.content.filter((b) => b.type === "text").map((b) => b.text).join("\n");
    const images = m.content.filter(isImage);
    const kept = images.filter(() => index++ >= firstKept);
    const dropped = images.length - kept.length;
    const notes = [];
    if (kept.length) notes.push(`[${kept.length} image${kept.length > 1 ? "s" : ""} attached in the next user message]`);
    if (dropped) notes.push(`[${dropped} older image${dropped > 1 ? "s" : ""} omitted to save context]`);
    out.push(new ToolMessage({ tool_call_id: m.tool_call_id, name: m.name, status: m.status, content: [text, ...notes].filter(Boolean).join("\n") }));
    if (kept.length) {
      pending.push({ type: "text", text: `Image(s) returned by tool call ${m.tool_call_id}:` }, ...kept.map(toImageUrl));
    }
  }
  flush();
  return out;
}

/** The middleware: `createAgent({ model, tools, middleware: [toolImagesMiddleware()] })`. */
export function toolImagesMiddleware({ maxImages = 3 } = {}) {
  return createMiddleware({
    name: "OpenDeskToolImages",
    wrapModelCall: (request, handler) => handler({ ...request, messages: moveToolImages(request.messages, maxImages) }),
  });
}
