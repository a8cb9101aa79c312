// The bench script runs: `npm run bench -- --smoke` (seconds, tiny sizes,
// PGlite only) as a child process exits 0 and writes a valid results file
// with every scenario in it. No timing assertions: numbers on a shared
// machine are noise; bench/README.md says how to read them.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { SCENARIOS } from "../../bench/lib/options.js";

const dir = mkdtempSync(join(tmpdir(), "parley-bench-smoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBench(args: string[], timeoutMs: number): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGINT"), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? "unknown", output });
    });
  });
}

describe("npm run bench -- --smoke", () => {
  it("runs every scenario against the real server and writes results.json", { timeout: 240_000 }, async () => {
    const out = join(dir, "results.json");
    const { code, output } = await runBench(["--smoke", `--out=${out}`], 220_000);
    expect(code, output).toBe(0);

    const results = JSON.parse(readFileSync(out, "utf8"));
    expect(results.mode).toBe("smoke");
    expect(Object.keys(results.scenarios).sort()).toEqual([...SCENARIOS].sort());
    for (const name of SCENARIOS) {
      const scenario = results.scenarios[name];
      // "partial" (e.g. a slow subscriber on a loaded machine) still measured something.
      expect(["ok", "partial"], `${name}: ${JSON.stringify(scenario.notes)}`).toContain(scenario.status);
      expect(scenario.rows.length, name).toBeGreaterThan(0);
      for (const row of scenario.rows) {
        expect(typeof row.metric).toBe("string");
        expect(Number.isFinite(row.value), `${name} ${row.metric}`).toBe(true);
        // Every scenario compares with a baseline measured in the same run.
        expect(row.baseline, `${name} ${row.metric}`).not.toBeNull();
        // null only when the baseline measured 0 (tiny sizes make memory deltas noise).
        expect(row.ratio === null || Number.isFinite(row.ratio), `${name} ${row.metric} ratio`).toBe(true);
      }
    }
    // The printed table names every scenario.
    for (const name of SCENARIOS) expect(output).toContain(name);
  });
});
