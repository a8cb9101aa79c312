// The import graph of src/graphql/: runtime imports among the type families
// run one way (a cycle makes a Ref undefined at definition time, depending on
// which file loads first), and nothing in graphql/ imports http/, which
// imports graphql/. Type-only imports are erased at runtime and do not count.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");
const GRAPHQL = join(SRC, "graphql");

/** The relative modules a file imports at runtime, as absolute .ts paths. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const imports: string[] = [];
  // `import … from "x"`, `export … from "x"`, and bare `import "x"`.
  const statement = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm;
  for (const match of text.matchAll(statement)) {
    const specifier = match[4] ?? match[5]!;
    if (!specifier.startsWith(".")) continue;
    if (match[2]) continue; // import type { … }
    const names = match[3] ?? "";
    const braces = /^\{([^}]*)\}$/.exec(names.trim());
    // import { type A, type B } from "x" is erased too.
    if (braces && braces[1]!.split(",").map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith("type "))) continue;
    imports.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
  }
  return imports;
}

/** Every cycle among `files` (each as a path of file names, first repeated last). */
function cyclesAmong(files: string[]): string[][] {
  const inSet = new Set(files);
  const edges = new Map(files.map((f) => [f, runtimeImports(f).filter((to) => inSet.has(to))]));
  const cycles: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "visiting");
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === "visiting") cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(SRC, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles;
}

const graphqlFiles = readdirSync(GRAPHQL)
  .filter((name) => name.endsWith(".ts"))
  .map((name) => join(GRAPHQL, name));

describe("the import graph of src/graphql", () => {
  it("has no runtime import cycle", () => {
    expect(cyclesAmong(graphqlFiles)).toEqual([]);
  });

  it("imports nothing from src/http (which imports graphql/)", () => {
    const intoHttp = graphqlFiles.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/from\s*["'](\.\.\/http\/[^"']+)["']/g)].map((m) => `${relative(SRC, file)} → ${m[1]}`),
    );
    expect(intoHttp).toEqual([]);
  });

  it("counts runtime imports and skips type-only ones (a check of the parser on real files)", () => {
    expect(runtimeImports(join(GRAPHQL, "message.ts"))).toContain(join(GRAPHQL, "session.ts"));
    // …and a type-only import is not counted.
    expect(runtimeImports(join(GRAPHQL, "context.ts"))).not.toContain(join(SRC, "service/index.ts"));
  });
});
