// `npm run schema:print` rewrites schema.graphql from the code;
// `npm run schema:check` (CI) exits 1 when the file and the code disagree.
import { readFileSync, writeFileSync } from "node:fs";
import { printSortedSchema } from "../src/graphql/schema.js";

const file = new URL("../schema.graphql", import.meta.url);
const printed = printSortedSchema();
if (process.argv.includes("--check")) {
  const committed = readFileSync(file, "utf8");
  if (committed !== printed) {
    process.stderr.write("schema.graphql is out of date: run `npm run schema:print` and commit the result.\n");
    process.exit(1);
  }
  process.stdout.write("schema.graphql matches the code\n");
} else {
  writeFileSync(file, printed);
  process.stdout.write(`wrote ${file.pathname}\n`);
}
