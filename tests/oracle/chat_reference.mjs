// The reference side of chat-template parity: what edgelm's `template` command does,
// done with @huggingface/jinja. Mirrors src/chat/chat_messages.cpp (normalization as
// llama.cpp does it) and chat_template_variables (the variables llama.cpp passes).
//
// Also a command for deriving expected outputs of the unit tests by hand:
//   echo '{"template": "{{ x }}", "variables": {"x": 1}}' | node chat_reference.mjs
import {loadJinja} from "./oracle.mjs";

const {Template} = await loadJinja();

export function normalizeMessages(messages) {
  if (!Array.isArray(messages)) throw new Error("messages must be an array");
  return messages.map((m, i) => {
    if (m === null || typeof m !== "object" || Array.isArray(m)) throw new Error(`message ${i} is not an object`);
    if (typeof m.role !== "string") throw new Error(`message ${i} has no string role`);
    if (!("tool_calls" in m) || m.tool_calls === null) return m;
    if (!Array.isArray(m.tool_calls)) throw new Error(`message ${i}: tool_calls must be an array`);
    const copy = {...m};
    if (!("content" in copy)) copy.content = "";
    copy.tool_calls = m.tool_calls.map((call) => {
      const fn = call?.function;
      if (call === null || typeof call !== "object" || Array.isArray(call) || !("function" in call)) return call;
      if (fn === null || typeof fn !== "object" || Array.isArray(fn) || typeof fn.arguments !== "string") return call;
      return {...call, function: {...fn, arguments: JSON.parse(fn.arguments)}};
    });
    return copy;
  });
}

export function chatVariables(messages, tools, {addGenerationPrompt, enableThinking, bos, eos}) {
  const vars = {messages, bos_token: bos, eos_token: eos, enable_thinking: enableThinking};
  if (Array.isArray(tools) && tools.length > 0) vars.tools = tools;
  if (addGenerationPrompt) vars.add_generation_prompt = true;
  return vars;
}

// {ok: text} or {error: message}
export function renderReference(source, variables) {
  try {
    return {ok: new Template(source).render(variables)};
  } catch (e) {
    return {error: String(e?.message ?? e)};
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const input = await new Promise((resolve) => {
    let text = "";
    process.stdin.on("data", (d) => (text += d)).on("end", () => resolve(text));
  });
  for (const line of input.split("\n")) {
    if (!line.trim()) continue;
    const job = JSON.parse(line);
    const r = renderReference(job.template, job.variables ?? {});
    console.log(JSON.stringify("ok" in r ? r.ok : {error: r.error}));
  }
}
