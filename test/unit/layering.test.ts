// The layering DESIGN.md promises, checked on the source: only store/ and db/
// reach the generated Prisma client (type-only imports included), and the
// enums domain/ defines for everyone else are the database's.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as domainEnums from "../../src/domain/enums.js";
import * as prismaEnums from "../../src/generated/prisma/enums.js";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");
const GENERATED = join(SRC, "generated", "prisma");
const ALLOWED = ["store", "db", "generated"].map((dir) => join(SRC, dir));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier a file names: static and type imports, re-exports, dynamic imports. */
function specifiers(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']/g)) found.push(m[1]!);
  for (const m of code.matchAll(/\bimport\s*(?:\(\s*)?["']([^"']+)["']/g)) found.push(m[1]!);
  return found;
}

/** The specifiers of imports that survive compilation (not `import type`, not only `type` names). */
function runtimeSpecifiers(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/\b(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*["']([^"']+)["']/g)) {
    if (m[2]) continue;
    const names = /^\{([^}]*)\}$/.exec(m[3]!.trim());
    if (names && names[1]!.split(",").map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith("type "))) continue;
    found.push(m[4]!);
  }
  return found;
}

const reachesGenerated = (file: string, specifier: string) =>
  specifier.startsWith(".") && resolve(dirname(file), specifier).startsWith(GENERATED);

describe("layering", () => {
  it("no file outside src/store and src/db imports the generated Prisma client", () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => !ALLOWED.some((dir) => file.startsWith(dir + "/")))
      .flatMap((file) =>
        specifiers(readFileSync(file, "utf8"))
          .filter((s) => reachesGenerated(file, s))
          .map((s) => `${relative(SRC, file)} imports ${s}`),
      );
    expect(offenders).toEqual([]);
  });

  it("the check sees every form of import (it would catch a regression)", () => {
    const file = join(SRC, "graphql", "x.ts");
    const code = [
      `import { A } from "../generated/prisma/enums.js";`,
      `import type { B } from '../generated/prisma/client.js';`,
      `export { C } from "../generated/prisma/client.js";`,
      `import {\n  D,\n  type E,\n} from "../generated/prisma/client.js";`,
      `const m = await import("../generated/prisma/client.js");`,
      `import "../generated/prisma/client.js";`,
    ].join("\n");
    expect(specifiers(code).filter((s) => reachesGenerated(file, s))).toHaveLength(6);
    expect(reachesGenerated(file, "../domain/enums.js")).toBe(false);
  });

  it("transports (http/, graphql/, protocols/) use the store and the database only for their types", () => {
    const transports = ["http", "graphql", "protocols"].map((dir) => join(SRC, dir));
    const dataLayer = ["store", "db"].map((dir) => join(SRC, dir) + "/");
    const offenders = transports.flatMap(sourceFiles).flatMap((file) =>
      runtimeSpecifiers(readFileSync(file, "utf8"))
        .filter((s) => s.startsWith(".") && dataLayer.some((dir) => resolve(dirname(file), s).startsWith(dir)))
        .map((s) => `${relative(SRC, file)} imports ${s} at runtime`),
    );
    expect(offenders).toEqual([]);
    // The filter itself: a value import counts, type-only ones do not.
    expect(runtimeSpecifiers(`import { a, type B } from "x";\nimport type { C } from "y";\nimport { type D } from "z";`)).toEqual(["x"]);
  });

  it("domain/ enums hold exactly the database's values", () => {
    const names = ["SessionStatus", "MessageRole", "MessagePhase", "ErrorDisclosure", "MessageDelivery", "TurnStatus"] as const;
    for (const name of names) expect(domainEnums[name], name).toEqual(prismaEnums[name]);
    // Every PascalCase export of domain/enums is one of the database's enums.
    expect(Object.keys(domainEnums).filter((key) => /^[A-Z][a-z]/.test(key)).sort()).toEqual([...names].sort());
  });
});
