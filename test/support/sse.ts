// A minimal SSE reader over fetch: yields parsed frames, stops on abort.
export interface SseFrame {
  event?: string;
  id?: string;
  data: string;
}

export async function* readSse(url: string, init: RequestInit & { signal: AbortSignal }): AsyncGenerator<SseFrame> {
  const response = await fetch(url, { ...init, headers: { accept: "text/event-stream", ...(init.headers ?? {}) } });
  if (!response.ok || !response.body) throw new Error(`SSE ${url} answered ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame: SseFrame = { data: "" };
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue; // comment (heartbeat)
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") frame.event = value;
          else if (field === "id") frame.id = value;
          else if (field === "data") data.push(value);
        }
        frame.data = data.join("\n");
        if (frame.event || frame.data) yield frame;
      }
    }
  } catch (error) {
    if (!init.signal.aborted) throw error;
  }
}

/** Reads REST SSE events (JSON data) until `until` says stop or the timeout passes. */
export async function collectSse<T = { type: string; sequence: number; id: string; data: Record<string, unknown> }>(
  url: string,
  until: (event: T, all: T[]) => boolean,
  options: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<T[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 20_000);
  const seen: T[] = [];
  try {
    for await (const frame of readSse(url, { signal: controller.signal, headers: options.headers })) {
      if (!frame.data) continue;
      const event = JSON.parse(frame.data) as T;
      seen.push(event);
      if (until(event, seen)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
}
