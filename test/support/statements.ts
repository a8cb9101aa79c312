// Counting SQL statements a request costs (AppOptions.onQuery): the runner's
// timeout sweep for waiting tool calls asks every second whatever a test
// does, so its (empty) check is not counted against the request it overlaps.
const SWEEP = /^SELECT 1 FROM "PendingToolCall" WHERE "state" = 'WAITING' AND "expiresAt" </;

export function statementCounter() {
  const counter = {
    count: 0,
    onQuery: (sql: string) => {
      if (!SWEEP.test(sql)) { counter.count++; if (process.env.SHOW_SQL) console.log('SQL#'+counter.count+' '+sql.replace(/\s+/g,' ').slice(0,140)); }
    },
  };
  return counter;
}
