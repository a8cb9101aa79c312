// Reading an AI SDK UI message stream as useChat would: the chunks as they
// come, folded into the UI message by `ai`'s own readUIMessageStream.
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";

/** The text parts of a UI message, joined. */
export const uiText = (message: UIMessage | undefined) => (message?.parts ?? []).flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");

/** Reads a chunk stream to its end (or `stopAfter` chunks, then `cancel` it), with a timeout, folding it into the UI message. */
export async function consumeUIStream(stream: ReadableStream<UIMessageChunk>, stopAfter = Infinity, timeoutMs = 20_000) {
  const [forChunks, forMessage] = stream.tee();
  const chunks: UIMessageChunk[] = [];
  let message: UIMessage | undefined;
  const reader = forChunks.getReader();
  const timer = setTimeout(() => void reader.cancel(new Error(`stream not done after ${timeoutMs} ms`)), timeoutMs);
  const folding = (async () => {
    for await (const snapshot of readUIMessageStream({ stream: forMessage, terminateOnError: false, onError: () => {} })) message = snapshot;
  })().catch(() => {});
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      if (chunks.length >= stopAfter) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length < stopAfter) await folding;
  return { chunks, message, cancel: () => reader.cancel().catch(() => {}) };
}
