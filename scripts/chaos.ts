// npm run chaos [-- --cycles=N] [--backend=pglite|postgres|both] [--max-minutes=M]
// Crash-safety under load (issue #17): see scripts/chaos/run.ts. Prints one
// row per backend: cycles, acknowledged messages, lost ones, turns left open,
// recovery time p50/max (kill → every session settled: through the restarted
// server on PGlite, through the surviving instance on PostgreSQL),
// the restart's boot time and, on PostgreSQL, takeover time against TURN_LEASE_MS.
// Exits non-zero when anything was lost, left open or out of order.
import pg from "pg";
import { percentile, runChaos, type ChaosReport } from "./chaos/run.js";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const cycles = Number(arg("cycles") ?? 10);
const which = arg("backend") ?? "both";
const maxMs = Number(arg("max-minutes") ?? 60) * 60_000;
const pgAdminUrl = process.env.TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

async function postgresUp(): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const backends: ("pglite" | "postgres")[] = [];
if (which === "both" || which === "pglite") backends.push("pglite");
if (which === "both" || which === "postgres") {
  if (await postgresUp()) backends.push("postgres");
  else console.warn(`PostgreSQL at ${pgAdminUrl} is not reachable: SKIPPING the PostgreSQL run`);
}

const reports: ChaosReport[] = [];
for (const backend of backends) reports.push(await runChaos({ backend, cycles, pgAdminUrl, maxMs, log: (line) => console.log(line) }));

const ms = (v: number | null) => (v === null ? "-" : `${Math.round(v)}`);
console.log("\n| backend | cycles | acked | lost | turns left open | violations | recovery p50 / max (ms) | restart boot p50 (ms) | takeover p50 / max (ms) | TURN_LEASE_MS |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of reports) {
  const takeover = r.backend === "postgres" ? `${ms(percentile(r.takeoverMs, 50))} / ${ms(percentile(r.takeoverMs, 100))} (${r.takeoverMs.length} kills mid-turn)` : "-";
  console.log(`| ${r.backend} | ${r.cycles} | ${r.acked} | ${r.lost} | ${r.open} | ${r.violations.length} | ${ms(percentile(r.recoveryMs, 50))} / ${ms(percentile(r.recoveryMs, 100))} | ${ms(percentile(r.bootMs, 50))} | ${takeover} | ${r.backend === "postgres" ? r.turnLeaseMs : "-"} |`);
}
for (const r of reports) for (const v of r.violations) console.log(`${r.backend}: ${v}`);
process.exit(reports.some((r) => r.lost || r.open || r.violations.length) ? 1 : 0);
