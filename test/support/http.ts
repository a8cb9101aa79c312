// Plain HTTP helpers for e2e tests: REST calls, uploads (REST and GraphQL
// multipart), raw requests with chunked bodies, and the PNG they send.
import { request as httpRequest } from "node:http";
import type { GqlResponse } from "./clients.js";
import { checkAgainstOpenApi } from "./openapi.js";

/** A real 1×1 PNG. */
export const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

export interface RestResponse {
  status: number;
  headers: Headers;
  body: any; // JSON under test, or null for an empty body
  text: string;
}

/** One REST call with a JSON body (a string body is sent as is). */
export async function rest(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RestResponse> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null; // not JSON (e.g. image bytes): read `text`
  }
  if (path.startsWith("/v1/") && parsed !== null) checkAgainstOpenApi(method, path, res.status, parsed);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export const UPLOAD_MUTATION = `mutation($file: File!) { uploadImage(file: $file) { id filename mediaType byteSize url } }`;

/** A GraphQL multipart request (graphql-multipart-request-spec) with one file. */
export function uploadForm(bytes: Buffer, filename = "dot.png", type = "image/png"): FormData {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: UPLOAD_MUTATION, variables: { file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", new Blob([new Uint8Array(bytes)], { type }), filename);
  return form;
}

/** uploadImage over GraphQL multipart; sends the CSRF header unless `headers` says otherwise. */
export async function uploadGraphQL(url: string, bytes: Buffer, headers: Record<string, string> = {}): Promise<GqlResponse> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    body: uploadForm(bytes),
    headers: { "x-graphql-yoga-csrf": "1", ...headers },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, ...(text ? (JSON.parse(text) as object) : {}) };
}

/** POST /v1/images with the multipart field `file`. */
export async function uploadRest(url: string, bytes: Buffer, headers: Record<string, string> = {}): Promise<RestResponse> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(bytes)], { type: "image/png" }), "dot.png");
  const res = await fetch(`${url}/v1/images`, { method: "POST", body: form, headers, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null, text };
}

/**
 * Sends `body` with `Transfer-Encoding: chunked` (no Content-Length), in
 * chunks of `chunkSize`, through node:http; resolves with the answer. The
 * server may answer and close before the whole body is sent.
 */
export function chunkedRequest(
  url: string,
  path: string,
  body: Buffer,
  headers: Record<string, string>,
  chunkSize = 1024,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = httpRequest(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: "POST", headers: { ...headers, "transfer-encoding": "chunked" } },
      (res) => {
        let text = "";
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", done);
        // The server may answer, then close while we still send: the answer stands.
        res.on("error", done);
        res.on("aborted", done);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error("chunked request timed out")));
    req.on("error", (error) => reject(error)); // ignored once resolved
    let offset = 0;
    const writeNext = () => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + chunkSize);
        offset += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", writeNext);
          return;
        }
      }
      req.end();
    };
    writeNext();
  });
}

/** Replaces every occurrence of `id` in a JSON-able value, so answers about two different ids can be compared. */
export function withoutId<T>(value: T, id: string, placeholder = "<id>"): T {
  return JSON.parse(JSON.stringify(value ?? null).split(id).join(placeholder)) as T;
}
