// schema.graphql must be exactly what the code prints (SPEC §5).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printSortedSchema } from "../../src/graphql/schema.js";

describe("schema.graphql", () => {
  it("matches the schema the code builds", () => {
    const committed = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
    const printed = printSortedSchema();
    if (committed !== printed) {
      // A plain assertion would bury the fix under a diff of the whole schema.
      const firstDiff = [...printed].findIndex((ch, i) => ch !== committed[i]);
      const line = printed.slice(0, firstDiff).split("\n").length;
      expect.fail(`schema.graphql is out of date (first difference at line ${line}): run \`npm run schema:print\` and commit the result.`);
    }
  });
});
