// PGlite behind a LaneGate: the object Prisma's adapter and the direct SQL
// path both use, so every statement and transaction takes its turn by lane.
// PGlite itself already runs one query or transaction at a time (a plain
// query waits for an open transaction); the gate only chooses who goes next.
import { enableLanes, LaneGate } from "./lanes.js";
import type { PGliteClient } from "./pglite-worker.js";

export function pgliteWithLanes(pglite: PGliteClient): PGliteClient {
  enableLanes();
  const gate = new LaneGate();
  return {
    query: (...args) => gate.run(() => pglite.query(...args)),
    exec: (...args) => gate.run(() => pglite.exec(...args)),
    transaction: (...args) => gate.run(() => pglite.transaction(...args)),
  };
}
