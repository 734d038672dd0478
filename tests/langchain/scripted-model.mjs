// A scripted chat model: no LLM runs offline here, so this model answers with tool calls from a script and records
// every message list it receives (to check what a real model would have seen).
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage } from "@langchain/core/messages";

export class ScriptedChatModel extends BaseChatModel {
  /**
   * @param {({ calls?: { name: string, args: object }[], text?: string } | ((messages: object[]) => object))[]} turns
   *   a turn is a fixed answer, or a function of the messages received (to act on what a tool returned, as a model would)
   */
  constructor(turns) {
    super({});
    this.turns = turns;
    this.received = [];
    this.boundTools = [];
    this.turn = 0;
  }

  _llmType() {
    return "opendesk-scripted";
  }

  bindTools(tools) {
    this.boundTools = tools;
    return this;
  }

  async _generate(messages) {
    this.received.push(messages);
    const next = this.turns[this.turn++] ?? { text: "done" };
    const step = typeof next === "function" ? next(messages) : next;
    const toolCalls = (step.calls ?? []).map((c, i) => ({
      id: `call_${this.turn}_${i + 1}`,
      name: c.name,
      args: c.args,
      type: "tool_call",
    }));
    const message = new AIMessage({ content: step.text ?? "", tool_calls: toolCalls });
    return { generations: [{ text: step.text ?? "", message }] };
  }
}

/** The three-step script: screenshot, click, type. */
export const threeStepScript = (peer) => {
  const p = peer ? { peer } : {};
  return [
    { calls: [{ name: "screenshot", args: { ...p } }] },
    { calls: [{ name: "mouse", args: { action: "click", x: 200, y: 150, ...p } }] },
    { calls: [{ name: "keyboard", args: { action: "type", text: "hello", ...p } }] },
    { text: "All done." },
  ];
};
