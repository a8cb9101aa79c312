// PGlite behind a LaneGate: the object Prisma's adapter and the direct SQL
// path both use, so every statement and transaction takes its turn by lane.
// PGlite itself already runs one query or transaction at a time (a plain
// query waits for an open transaction); the gate only chooses who goes next.
import type { PGlite } from "@electric-sql/pglite";
import { enableLanes, LaneGate } from "./lanes.js";

export function pgliteWithLanes(pglite: PGlite): PGlite {
  enableLanes();
  const gate = new LaneGate();
  return new Proxy(pglite, {
    get(target, prop, receiver) {
      if (prop === "query") return (...args: Parameters<PGlite["query"]>) => gate.run(() => target.query(...args));
      if (prop === "exec") return (...args: Parameters<PGlite["exec"]>) => gate.run(() => target.exec(...args));
      if (prop === "transaction") return (...args: Parameters<PGlite["transaction"]>) => gate.run(() => target.transaction(...args));
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
