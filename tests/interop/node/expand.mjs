// Expands each JSON-LD document named on the command line in safe mode (contexts.mjs) and
// prints one JSON line per document: {"file": ..., "undefined": null | what was refused}.
// Exits 0 when every document expands cleanly.
import { readFileSync } from "node:fs";
import { expands } from "./contexts.mjs";

let clean = true;
for (const file of process.argv.slice(2)) {
  const refused = await expands(JSON.parse(readFileSync(file, "utf8")));
  clean &&= refused === null;
  console.log(JSON.stringify({ file, undefined: refused }));
}
process.exit(clean ? 0 : 1);
