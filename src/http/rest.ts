// The seeds' REST API (SPEC §6) on the same services as GraphQL. Handlers
// only parse, call a service and shape JSON; errors are `{ error, status }`.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Actor } from "../service/context.js";
import type { Services } from "../service/index.js";
import { MESSAGE_ROLE, SESSION_STATUS, parseRestEnum } from "../domain/enums.js";
import { parseWaitMs } from "../domain/delivery.js";
import type { Session } from "../store/sessions.js";
import { readBody, readJson } from "./body.js";
import { sendMethodNotAllowed, sendRestError } from "./errors.js";
import { sendJson } from "./health.js";
import { restAgent, restImage, restMessage, restSession } from "./rest-shapes.js";
import { listParam, serveSessionSse } from "./sse.js";
import { REST_KEYS, fromRestKeys } from "./rest-keys.js";
import type { ImageLinks } from "./image-url.js";
import { originPolicy, refusedOrigin } from "./origin.js";

export interface RestDeps {
  services: Services;
  config: Config;
  logger: Logger;
  /** Who is calling (throws UNAUTHENTICATED when a key is required and missing). */
  actorFor(req: IncomingMessage): Promise<Actor>;
  imageLinks: ImageLinks;
}

type Params = Record<string, string>;

/** REST wait mode's timeout_ms default (SPEC §11). */
const DEFAULT_WAIT_MS = 30_000;
type Handler = (ctx: { req: IncomingMessage; res: ServerResponse; url: URL; params: Params; actor: Actor }) => Promise<void>;

export function restRoute(deps: RestDeps) {
  const { services, config } = deps;
  const allowedOrigin = originPolicy(config);
  const json = (req: IncomingMessage) => readJson(req, config.MAX_BODY_BYTES) as Promise<Record<string, unknown>>;
  const asObject = (v: unknown, field: string) => {
    if (v == null) return {};
    if (typeof v !== "object" || Array.isArray(v)) throw new AppError("VALIDATION_FAILED", `${field} must be a JSON object`, field);
    return v as Record<string, unknown>;
  };
  const sessionInput = (b: Record<string, unknown>) => fromRestKeys(b, REST_KEYS.session);
  const agentInput = (b: Record<string, unknown>) => fromRestKeys(b, REST_KEYS.agent);

  // The pending calls are read as the caller (tenant-scoped).
  const sessionJson = async (actor: Actor, s: Session) => restSession(s, await services.toolResults.pending(actor, s));

  const routes: [string, RegExp, Handler][] = [
    ["POST", /^\/v1\/sessions$/, async ({ req, res, actor }) => {
      const session = await services.sessions.create(actor, sessionInput(asObject(await json(req), "body")));
      sendJson(res, 201, await sessionJson(actor, session));
    }],
    ["GET", /^\/v1\/sessions$/, async ({ res, url, actor }) => {
      const status = url.searchParams.get("status");
      const page = await services.sessions.list(actor, {
        limit: intParam(url, "limit"),
        after: url.searchParams.get("after"),
        status: status === null ? null : parseRestEnum(SESSION_STATUS, status, "status"),
        tag: url.searchParams.get("tag"),
      });
      sendJson(res, 200, { data: await Promise.all(page.nodes.map((s) => sessionJson(actor, s))), total: await page.count() });
    }],
    ["GET", /^\/v1\/sessions\/(?<id>[^/]+)$/, async ({ res, params, actor }) => {
      sendJson(res, 200, await sessionJson(actor, await services.sessions.get(actor, params.id, "session_id")));
    }],
    ["PATCH", /^\/v1\/sessions\/(?<id>[^/]+)$/, async ({ req, res, params, actor }) => {
      sendJson(res, 200, await sessionJson(actor, await services.sessions.update(actor, params.id, sessionInput(asObject(await json(req), "body")))));
    }],
    ["DELETE", /^\/v1\/sessions\/(?<id>[^/]+)$/, async ({ res, params, actor }) => {
      sendJson(res, 200, { id: await services.sessions.delete(actor, params.id), deleted: true });
    }],
    ["POST", /^\/v1\/sessions\/(?<id>[^/]+)\/messages$/, async ({ req, res, url, params, actor }) => {
      const waitMs = waitParams(url);
      const body = fromRestKeys(asObject(await json(req), "body"), REST_KEYS.createMessage);
      const message = asObject(body.message, "message");
      const controls = body.controls == null ? null : asObject(body.controls, "controls");
      const actorIn = body.externalActor == null ? null : asObject(body.externalActor, "external_actor");
      const created = await services.messages.create(actor, {
        ...body,
        sessionId: params.id,
        message: { role: message.role as string | undefined, content: message.content },
        controls: controls && fromRestKeys(controls, REST_KEYS.controls),
        externalActor: actorIn && fromRestKeys(actorIn, REST_KEYS.externalActor),
        waitMs,
      }, waitMs === null ? undefined : closedSignal(res));
      if (waitMs === null) return sendJson(res, 201, restMessage(created));
      if (res.destroyed) return; // the client went away while we waited
      const turn = await services.messages.turnProgress(actor, created);
      sendJson(res, 201, { ...restMessage(created), turn_status: turn.status, turn_messages: turn.messages.map(restMessage) });
    }],
    ["GET", /^\/v1\/sessions\/(?<id>[^/]+)\/messages$/, async ({ res, url, params, actor }) => {
      const roles = listParam(url, "role").map((role) => parseRestEnum(MESSAGE_ROLE, role, "role"));
      const page = await services.messages.list(actor, params.id, { limit: intParam(url, "limit"), roles }, "session_id");
      sendJson(res, 200, { data: page.nodes.map(restMessage), total: await page.totalCount() });
    }],
    ["POST", /^\/v1\/sessions\/(?<id>[^/]+)\/cancel$/, async ({ res, params, actor }) => {
      const { result } = await services.sessions.cancelTurn(actor, params.id, "session_id");
      sendJson(res, 200, { status: result });
    }],
    ["POST", /^\/v1\/sessions\/(?<id>[^/]+)\/tool-results$/, async ({ req, res, params, actor }) => {
      const body = asObject(await json(req), "body");
      const results = restList(body.tool_results, "tool_results").map((r) => ({ toolCallId: r.tool_call_id, content: r.content, isError: r.is_error }));
      sendJson(res, 200, await sessionJson(actor, await services.toolResults.submit(actor, params.id, results)));
    }],
    ["POST", /^\/v1\/sessions\/(?<id>[^/]+)\/tool-approvals$/, async ({ req, res, params, actor }) => {
      const body = asObject(await json(req), "body");
      const decisions = restList(body.decisions, "decisions").map((d, i) => ({ toolCallId: d.tool_call_id, approve: restDecision(d.decision, i), reason: d.reason }));
      sendJson(res, 200, await sessionJson(actor, await services.toolResults.decide(actor, params.id, decisions)));
    }],
    ["POST", /^\/v1\/sessions\/(?<id>[^/]+)\/fork$/, async ({ req, res, params, actor }) => {
      const body = fromRestKeys(asObject(await json(req), "body"), REST_KEYS.fork);
      sendJson(res, 201, await sessionJson(actor, await services.sessions.fork(actor, { ...body, sessionId: params.id })));
    }],
    ["GET", /^\/v1\/sessions\/(?<id>[^/]+)\/sse$/, async ({ req, res, url, params, actor }) => {
      await serveSessionSse({ services, logger: deps.logger }, actor, params.id!, req, res, url);
    }],
    ["POST", /^\/v1\/agents$/, async ({ req, res, actor }) => {
      sendJson(res, 201, restAgent(await services.agents.create(actor, agentInput(asObject(await json(req), "body")))));
    }],
    ["GET", /^\/v1\/agents$/, async ({ res, url, actor }) => {
      const page = await services.agents.list(actor, { limit: intParam(url, "limit"), after: url.searchParams.get("after") });
      sendJson(res, 200, { data: page.nodes.map(restAgent), total: await page.count() });
    }],
    ["GET", /^\/v1\/agents\/(?<id>[^/]+)$/, async ({ res, params, actor }) => {
      sendJson(res, 200, restAgent(await services.agents.get(actor, params.id, "agent_id")));
    }],
    ["PATCH", /^\/v1\/agents\/(?<id>[^/]+)$/, async ({ req, res, params, actor }) => {
      sendJson(res, 200, restAgent(await services.agents.update(actor, params.id, agentInput(asObject(await json(req), "body")))));
    }],
    ["DELETE", /^\/v1\/agents\/(?<id>[^/]+)$/, async ({ res, params, actor }) => {
      sendJson(res, 200, { id: await services.agents.delete(actor, params.id), deleted: true });
    }],
    ["POST", /^\/v1\/images$/, async ({ req, res, actor }) => {
      const file = await multipartFile(req, config.MAX_BODY_BYTES);
      const image = await services.images.upload(actor, file);
      sendJson(res, 201, restImage(image, deps.imageLinks.urlFor(req, image.id)));
    }],
    ["GET", /^\/v1\/images\/(?<id>[^/]+)$/, async ({ req, res, params, actor }) => {
      const image = await services.images.find(actor, params.id, "image_id");
      if (!image) throw new AppError("NOT_FOUND", `Image ${params.id} not found`);
      sendJson(res, 200, restImage(image, deps.imageLinks.urlFor(req, image.id)));
    }],
  ];

  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (!path.startsWith("/v1/")) return false;
    const url = new URL(req.url ?? "/", "http://localhost");
    const matches = routes.filter(([, pattern]) => pattern.test(path));
    if (matches.length === 0) return false;
    const route = matches.find(([method]) => method === req.method || (method === "GET" && req.method === "HEAD"));
    if (!route) {
      sendMethodNotAllowed(res, req.method, path, matches.map(([method]) => method), { logger: deps.logger, where: "REST routing" });
      return true;
    }
    try {
      // CSRF: a page of a site ALLOWED_ORIGINS does not let in may not write through the visitor's browser.
      if (req.method !== "GET" && req.method !== "HEAD" && refusedOrigin(req, allowedOrigin)) throw crossSiteRefusal(req.headers.origin);
      const [, pattern, handler] = route;
      const params = (pattern.exec(path)?.groups ?? {}) as Params;
      const actor = await deps.actorFor(req);
      await handler({ req, res, url, params, actor });
    } catch (error) {
      sendRestError(res, error, { logger: deps.logger, where: `REST ${req.method} ${path}` });
    }
    return true;
  };
}

function crossSiteRefusal(origin: string | undefined): AppError {
  const from = origin ? `a page of ${origin.slice(0, 100)}` : "another site's page";
  return new AppError(
    "FORBIDDEN",
    `Cross-site request refused: it comes from ${from}, which ALLOWED_ORIGINS does not list. ` +
      "Add that origin to ALLOWED_ORIGINS to let its pages call this API; clients that are not browsers (curl, SDKs) send no Origin and are not refused.",
  );
}

/** `?wait=true&timeout_ms=N` (SPEC §11 wait mode): the wait in ms, or null without wait. */
function waitParams(url: URL): number | null {
  const wait = url.searchParams.get("wait");
  if (wait !== null && wait !== "true" && wait !== "false") throw new AppError("VALIDATION_FAILED", "wait must be true or false", "wait");
  const timeout = url.searchParams.get("timeout_ms");
  const ms = timeout === null ? DEFAULT_WAIT_MS : /^\d{1,7}$/.test(timeout) ? Number(timeout) : NaN;
  parseWaitMs(Number.isNaN(ms) ? timeout : ms, "timeout_ms"); // bounds checked even without wait=true
  return wait === "true" ? ms : null;
}

/** Aborts when the client closes the connection before the answer is sent. */
function closedSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => controller.abort());
  return controller.signal;
}

/** A non-negative integer parameter, or null when absent (the service bounds it). */
function intParam(url: URL, name: string): number | null {
  const raw = url.searchParams.get(name);
  if (raw === null) return null;
  if (!/^\d{1,6}$/.test(raw)) throw new AppError("VALIDATION_FAILED", `${name} must be a non-negative integer`, name);
  return Number(raw);
}

/** The `file` field of a multipart body, read under the size limit. */
async function multipartFile(req: IncomingMessage, limit: number): Promise<{ filename: string | null; bytes: Uint8Array }> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("multipart/form-data")) throw new AppError("BAD_REQUEST", "Content-Type must be multipart/form-data with a `file` field");
  const body = await readBody(req, limit);
  let form: FormData;
  try {
    form = await new Request("http://localhost/", { method: "POST", headers: { "content-type": type }, body: new Uint8Array(body) }).formData();
  } catch (error) {
    throw new AppError("BAD_REQUEST", `Malformed multipart body: ${(error as Error).message}`);
  }
  const file = form.get("file");
  if (!file || typeof file === "string") throw new AppError("VALIDATION_FAILED", "multipart field `file` with a file is required", "file");
  return { filename: file.name || null, bytes: new Uint8Array(await file.arrayBuffer()) };
}

/** A list of objects in a REST body (each entry's keys are checked by the service). */
function restList(value: unknown, field: string): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new AppError("VALIDATION_FAILED", `${field} must be a list`, field);
  return value.map((item, i) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new AppError("VALIDATION_FAILED", "each entry must be a JSON object", `${field}[${i}]`);
    return item as Record<string, unknown>;
  });
}

/** "allow" | "reject" → approve. */
function restDecision(value: unknown, i: number): boolean {
  if (value === "allow") return true;
  if (value === "reject") return false;
  throw new AppError("VALIDATION_FAILED", 'decision must be "allow" or "reject"', `decisions[${i}].decision`);
}
