// Counting SQL statements a request costs (AppOptions.onQuery): the runner's
// timeout sweep for waiting tool calls asks every second whatever a test
// does, so its (empty) check is not counted against the request it overlaps.
const SWEEP = /^SELECT 1 FROM "PendingToolCall" WHERE "state" = 'WAITING' AND "expiresAt" </;
/** The group commit of streamed deltas (src/store/group-append.ts): how many depends on timing. */
const DELTA_GROUP = /^\s*WITH e AS \(\s*SELECT \* FROM jsonb_to_recordset/;

export function statementCounter() {
  const counter = {
    count: 0,
    /** Of `count`, the delta group statements. */
    deltaWrites: 0,
    onQuery: (sql: string) => {
      if (SWEEP.test(sql)) return;
      counter.count++;
      if (DELTA_GROUP.test(sql)) counter.deltaWrites++;
    },
  };
  return counter;
}
