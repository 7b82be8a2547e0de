// Records the reference's output as `expected` for the cases of tests/chat/jinja_cases.json
// that have neither `expected` nor `error` (add a case with just name, template and
// variables, then run: node tests/oracle/record_jinja_cases.mjs). A case the reference
// fails is reported, not recorded: give it an `error` (a part of edgelm's message).
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {renderReference} from "./chat_reference.mjs";

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "chat", "jinja_cases.json");
const doc = JSON.parse(fs.readFileSync(file, "utf8"));
let recorded = 0;
for (const c of doc.cases) {
  if ("expected" in c || "error" in c) continue;
  const r = renderReference(c.template, c.variables ?? {});
  if ("error" in r) {
    console.log(`${c.name}: the reference fails (${r.error}); add an "error" instead`);
    continue;
  }
  c.expected = r.ok.toWellFormed();  // as Node writes it in UTF-8
  recorded++;
}
fs.writeFileSync(file, JSON.stringify(doc, null, 1) + "\n");
console.log(`recorded ${recorded} case(s)`);
