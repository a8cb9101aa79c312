// The browser side, all served by this process so it works with no internet
// (SPEC §14): the chat page at `/` and its files under /web/ (src/web/),
// graphql-ws's browser client under /vendor/graphql-ws/, and the GraphiQL
// build that GET /graphql loads, under /graphiql/. Static files only; the
// pages talk to the public GraphQL API like any other client.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Route } from "./server.js";

/** src/web beside src/http (dist/web beside dist/http once built). */
const WEB_DIR = fileURLToPath(new URL("../web/", import.meta.url));
/** graphql-ws's ESM client: plain modules with relative imports only, usable by a browser as they are. */
const GRAPHQL_WS_DIR = dirname(createRequire(import.meta.url).resolve("graphql-ws"));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** A file name without any path in it: no "..", no "/". */
const PLAIN_NAME = /^[\w-]+(\.[\w-]+)*\.(html|js|css|svg)$/;

interface Asset {
  type: string;
  body: Buffer;
  etag: string;
  gzipped?: Buffer;
}

const asset = (name: string, body: Buffer | string): Asset => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { type: TYPES[extname(name)] ?? "application/octet-stream", body: bytes, etag: `"${createHash("sha1").update(bytes).digest("base64url")}"` };
};

const gzipped = async (name: string, body: string): Promise<[string, Asset]> => {
  const file = asset(name, body);
  return [name, { ...file, gzipped: await promisify(gzip)(file.body) }];
};

/**
 * GraphiQL's CSS, JS and Monaco workers, as @graphql-yoga/render-graphiql
 * ships them (strings, about 9 MB): loaded on the first GraphiQL visit, then
 * kept, gzipped once.
 */
let graphiqlAssets: Promise<Map<string, Asset>> | undefined;
const loadGraphiQL = () =>
  (graphiqlAssets ??= import("@graphql-yoga/render-graphiql/graphiql").then(
    async (g) =>
      new Map(
        await Promise.all([
          gzipped("graphiql.css", g.css),
          gzipped("graphiql.js", g.js),
          gzipped("editor.worker.js", g.editorWorkerService),
          gzipped("json.worker.js", g.jsonWorker),
          gzipped("graphql.worker.js", g.graphqlWorker),
        ]),
      ),
  ));

/** Reads a file of `dir` named by the request (only plain names), or null. */
async function fileAsset(dir: string, name: string): Promise<Asset | null> {
  if (!PLAIN_NAME.test(name)) return null;
  try {
    return asset(name, await readFile(join(dir, name)));
  } catch {
    return null;
  }
}

export function webRoute(): Route {
  return async (req, res, path) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    let found: Asset | null | undefined;
    if (path === "/") found = await fileAsset(WEB_DIR, "index.html");
    else if (path.startsWith("/web/")) found = await fileAsset(WEB_DIR, path.slice("/web/".length));
    else if (path.startsWith("/vendor/graphql-ws/")) found = await fileAsset(GRAPHQL_WS_DIR, path.slice("/vendor/graphql-ws/".length));
    else if (path.startsWith("/graphiql/")) found = (await loadGraphiQL()).get(path.slice("/graphiql/".length));
    else return false;
    if (!found) return false; // the server's JSON 404
    send(req, res, found);
    return true;
  };
}

function send(req: IncomingMessage, res: ServerResponse, file: Asset): void {
  // Revalidated on every load (a restart may have changed them), answered 304 when unchanged.
  res.setHeader("cache-control", "no-cache");
  res.setHeader("etag", file.etag);
  res.setHeader("content-type", file.type);
  res.setHeader("x-content-type-options", "nosniff");
  if (req.headers["if-none-match"] === file.etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const gzip = file.gzipped && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const body = gzip ? file.gzipped! : file.body;
  if (gzip) res.setHeader("content-encoding", "gzip");
  res.setHeader("vary", "accept-encoding");
  res.setHeader("content-length", body.length);
  res.end(req.method === "HEAD" ? undefined : body);
}
