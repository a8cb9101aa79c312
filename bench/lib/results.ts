// Results: rows of (scenario, metric, value, baseline, ratio), printed as a
// table and written as JSON. Every ratio is value ÷ baseline, both measured
// in this run; `better` says which direction is good for the metric.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import type { Options, ScenarioName } from "./options.js";
import { format, round } from "./stats.js";

export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  value: number;
  better: "higher" | "lower";
  baseline: { name: string; value: number } | null;
  /** value / baseline.value */
  ratio: number | null;
}

export interface ScenarioResult {
  status: "ok" | "partial" | "skipped" | "failed";
  /** Why skipped/failed/partial (printed). */
  notes: string[];
  rows: Row[];
  /** Raw numbers (load-generator output, sizes) for anyone digging further. */
  details: Record<string, unknown>;
}

export class Results {
  readonly startedAt = new Date();
  readonly scenarios = new Map<ScenarioName, ScenarioResult>();

  constructor(private readonly options: Options) {}

  scenario(name: ScenarioName): ScenarioResult {
    let result = this.scenarios.get(name);
    if (!result) this.scenarios.set(name, (result = { status: "ok", notes: [], rows: [], details: {} }));
    return result;
  }

  add(name: ScenarioName, row: Omit<Row, "ratio" | "scenario"> & { scenario?: string }): void {
    const ratio = row.baseline && row.baseline.value !== 0 && Number.isFinite(row.baseline.value) ? row.value / row.baseline.value : null;
    this.scenario(name).rows.push({ ...row, scenario: row.scenario ?? name, ratio });
  }

  note(name: ScenarioName, note: string, status?: ScenarioResult["status"]): void {
    const s = this.scenario(name);
    s.notes.push(note);
    if (status) s.status = status;
    process.stderr.write(`[bench] ${name}: ${note}\n`);
  }

  table(): string {
    const header = ["scenario", "metric", "value", "baseline", "ratio"];
    const lines: string[][] = [];
    for (const [, s] of this.scenarios) {
      for (const r of s.rows) {
        lines.push([
          r.scenario,
          `${r.metric} ${r.better === "higher" ? "↑" : "↓"}`,
          format(r.value, r.unit),
          r.baseline ? `${format(r.baseline.value, r.unit)} (${r.baseline.name})` : "",
          r.ratio === null ? "" : `${r.ratio >= 100 ? r.ratio.toFixed(0) : r.ratio >= 10 ? r.ratio.toFixed(1) : r.ratio.toFixed(2)}×`,
        ]);
      }
    }
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => [...l[i]!].length)));
    const fmt = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
    const notes = [...this.scenarios].flatMap(([name, s]) => s.notes.map((n) => `  ${name} [${s.status}]: ${n}`));
    return [
      fmt(header),
      widths.map((w) => "-".repeat(w)).join("  "),
      ...lines.map(fmt),
      "",
      "↑ higher is better, ↓ lower is better; ratio = value ÷ baseline (same run, same machine).",
      ...(notes.length ? ["", "notes:", ...notes] : []),
    ].join("\n");
  }

  write(file: string, extra: Record<string, unknown> = {}): void {
    const json = {
      version: 1,
      startedAt: this.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      mode: this.options.mode,
      only: [...this.options.only],
      profile: this.options.profile,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, node: process.version, platform: `${process.platform}-${process.arch}` },
      sizes: this.options.sizes,
      ...extra,
      scenarios: Object.fromEntries(
        [...this.scenarios].map(([name, s]) => [
          name,
          { ...s, rows: s.rows.map((r) => ({ ...r, value: round(r.value, 3), ratio: r.ratio === null ? null : round(r.ratio, 3) })) },
        ]),
      ),
    };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  }
}
