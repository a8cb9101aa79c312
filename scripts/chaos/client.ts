// The chaos workload's view of a server: plain REST calls that never throw
// (a killed server answers nothing, which the workload expects), and the
// event log read back page by page over GraphQL for the checks.
export interface Answer {
  status: number;
  body: any;
}

export async function call(url: string, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<Answer> {
  try {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    return { status: 0, body: null }; // refused, reset or timed out: the server is (being) killed
  }
}

export interface LoggedEvent {
  sequence: number;
  type: string;
  data: Record<string, any>;
}

/** The whole log of a session, oldest first. */
export async function eventsOf(url: string, sessionId: string): Promise<LoggedEvent[]> {
  const all: LoggedEvent[] = [];
  for (;;) {
    const query = `query($id: ID!, $after: Int) { session(id: $id) { events(after: $after, first: 500) { sequence type data } } }`;
    const res = await call(url, "POST", "/graphql", { query, variables: { id: sessionId, after: all.at(-1)?.sequence ?? 0 } }, 30_000);
    const page = res.body?.data?.session?.events as LoggedEvent[] | undefined;
    if (!page) throw new Error(`could not read the events of ${sessionId}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`);
    all.push(...page);
    if (page.length < 500) return all;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
