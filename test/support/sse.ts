// A minimal SSE reader over fetch (yields parsed frames, stops on abort), and
// REST SSE streams gathered with the one stream collector.
import { streamCollector, type CollectedStream } from "./collect.js";

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

/**
 * A REST SSE stream's events (each frame's JSON data), gathered as they come;
 * an `event: error` frame is gathered too (its data is `{ error, status }`).
 */
export function subscribeRestSse<T = RestEvent>(url: string, options: { headers?: Record<string, string> } = {}): CollectedStream<T> {
  const { push, finish, ...collected } = streamCollector<T>();
  const controller = new AbortController();
  void (async () => {
    try {
      for await (const frame of readSse(url, { signal: controller.signal, headers: options.headers })) {
        if (frame.data) push(JSON.parse(frame.data) as T);
      }
      finish();
    } catch (error) {
      finish(controller.signal.aborted ? undefined : error);
    }
  })();
  return { ...collected, stop: () => controller.abort() };
}

type RestEvent = { type: string; sequence: number; id: string; data: Record<string, unknown> };

/** Reads REST SSE events until `until` holds for the latest one; fails after the timeout. */
export async function collectSse<T = RestEvent>(
  url: string,
  until: (event: T, all: T[]) => boolean,
  options: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<T[]> {
  const stream = subscribeRestSse<T>(url, options);
  try {
    // Events keep arriving until stop(): answer with those up to the one that satisfied `until`.
    let upTo = 0;
    const all = await stream.until((seen) => {
      for (; upTo < seen.length; ) if (until(seen[upTo]!, seen.slice(0, ++upTo))) return true;
      return false;
    }, options.timeoutMs ?? 20_000);
    return all.slice(0, upTo);
  } finally {
    stream.stop();
  }
}
