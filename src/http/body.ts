// Request bodies with a hard size limit: a body over MAX_BODY_BYTES is
// refused with 413 before anything parses it (Content-Length first, then a
// running count for chunked bodies).
import type { IncomingMessage } from "node:http";
import { AppError } from "../errors.js";

export const tooLarge = (limit: number) => new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds the limit of ${limit} bytes`);

/** Throws 413 when the declared length is over the limit. */
export function checkDeclaredLength(req: IncomingMessage, limit: number): void {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  checkDeclaredLength(req, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// Fatal: a body that is not UTF-8 is refused, never silently "repaired" with U+FFFD and stored.
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses the body as JSON whatever its Content-Type (curl -d sends form-urlencoded). */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) return {};
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new AppError("BAD_REQUEST", "Request body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError("BAD_REQUEST", `Malformed JSON body: ${(error as Error).message}`);
  }
}
