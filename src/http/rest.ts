// The seeds' REST API (SPEC §6) on the same services as GraphQL. Handlers
// only parse, call a service and shape JSON; errors are `{ error, status }`.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Actor } from "../service/context.js";
import type { Services } from "../service/index.js";
import type { MessageRole } from "../domain/enums.js";
import type { Session } from "../store/sessions.js";
import { readBody, readJson } from "./body.js";
import { sendJson } from "./health.js";
import { restAgent, restImage, restMessage, restSession } from "./rest-shapes.js";
import { serveSessionSse } from "./sse.js";
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
  const sessionInput = (b: Record<string, unknown>) => ({
    ...pick(b, ["title", "locale", "hints", "tags", "metadata"]),
    ...("model_id" in b ? { modelId: b.model_id } : {}),
    ...("agent_id" in b ? { agentId: b.agent_id } : {}),
  });
  // snake_case body keys → the camelCase fields the service validates (an absent key stays absent).
  const agentInput = (b: Record<string, unknown>) => {
    const keys = { name: "name", description: "description", instructions: "instructions", model_id: "modelId", tools: "tools",
      approval_required: "approvalRequired", client_tools: "clientTools", max_iterations: "maxIterations" } as const;
    return Object.fromEntries(Object.entries(keys).filter(([k]) => k in b).map(([k, field]) => [field, b[k]]));
  };

  // The pending calls are read as the caller (tenant-scoped).
  const sessionJson = async (actor: Actor, s: Session) => restSession(s, await services.toolResults.pending(actor, s));

  const routes: [string, RegExp, Handler][] = [
    ["POST", /^\/v1\/sessions$/, async ({ req, res, actor }) => {
      const session = await services.sessions.create(actor, sessionInput(asObject(await json(req), "body")));
      sendJson(res, 201, await sessionJson(actor, session));
    }],
    ["GET", /^\/v1\/sessions$/, async ({ res, url, actor }) => {
      const status = url.searchParams.get("status")?.toUpperCase() as "STARTED" | "ACTIVE" | "IDLE" | undefined;
      const page = await services.sessions.list(actor, {
        limit: intParam(url, "limit"),
        after: url.searchParams.get("after"),
        status: status ?? null,
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
    ["POST", /^\/v1\/sessions\/(?<id>[^/]+)\/messages$/, async ({ req, res, params, actor }) => {
      const body = asObject(await json(req), "body");
      const message = asObject(body.message, "message");
      const controls = body.controls == null ? null : asObject(body.controls, "controls");
      const actorIn = body.external_actor == null ? null : asObject(body.external_actor, "external_actor");
      const created = await services.messages.create(actor, {
        sessionId: params.id,
        message: { role: message.role as string | undefined, content: message.content },
        controls: controls && {
          modelId: controls.model_id,
          reasoning: controls.reasoning,
          errorDisclosure: controls.error_disclosure,
          hints: controls.hints,
          locale: controls.locale,
          maxTokens: controls.max_tokens,
          clientTools: controls.client_tools,
          approvalRequired: controls.approval_required,
        },
        externalActor: actorIn && { actorId: actorIn.actor_id, actorName: actorIn.actor_name, metadata: actorIn.metadata, source: actorIn.source },
        metadata: body.metadata,
        tags: body.tags,
        idempotencyKey: body.client_message_id,
        delivery: body.delivery,
      });
      sendJson(res, 201, restMessage(created));
    }],
    ["GET", /^\/v1\/sessions\/(?<id>[^/]+)\/messages$/, async ({ res, url, params, actor }) => {
      const roles = url.searchParams.getAll("role").flatMap((r) => r.split(",")).filter(Boolean).map((r) => r.toUpperCase() as MessageRole);
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
      const body = asObject(await json(req), "body");
      sendJson(res, 201, await sessionJson(actor, await services.sessions.fork(actor, { sessionId: params.id, atSequence: body.at_sequence, title: body.title })));
    }],
    ["GET", /^\/v1\/sessions\/(?<id>[^/]+)\/sse$/, async ({ req, res, url, params, actor }) => {
      await serveSessionSse(services, actor, params.id!, req, res, url);
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
    try {
      if (!route) throw new AppError("BAD_REQUEST", `Method ${req.method} is not allowed on ${path}`);
      // CSRF: a page of a site ALLOWED_ORIGINS does not let in may not write through the visitor's browser.
      if (req.method !== "GET" && req.method !== "HEAD" && refusedOrigin(req, allowedOrigin)) {
        throw new AppError("FORBIDDEN", "Cross-site request refused: send it from this server's own pages, or from a client that is not a browser");
      }
      const [, pattern, handler] = route;
      const params = (pattern.exec(path)?.groups ?? {}) as Params;
      const actor = await deps.actorFor(req);
      await handler({ req, res, url, params, actor });
    } catch (error) {
      sendRestError(res, error, deps.logger, req);
    }
    return true;
  };
}

export function sendRestError(res: ServerResponse, error: unknown, logger: Logger, req: IncomingMessage): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (error instanceof AppError) {
    const message = error.field && !error.message.includes(error.field) ? `${error.field}: ${error.message}` : error.message;
    sendJson(res, error.status, { error: message, status: error.status });
    return;
  }
  logger.error({ err: error, method: req.method, url: req.url, requestId: res.getHeader("x-request-id") }, "unexpected error in REST handler");
  sendJson(res, 500, { error: "Internal server error", status: 500 });
}

function pick(body: Record<string, unknown>, keys: string[]) {
  return Object.fromEntries(keys.filter((k) => k in body).map((k) => [k, body[k]]));
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
