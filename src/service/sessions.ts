// Session use cases, shared by GraphQL and REST.
import { validateSessionInput, type SessionInput } from "../domain/validation.js";
import { AppError, notFound, validation } from "../errors.js";
import { parseId } from "../ids.js";
import type { Store } from "../store/index.js";
import type { Session, SessionFilter } from "../store/sessions.js";
import type { Actor, TurnScheduler } from "./context.js";
import type { ModelService } from "./models.js";
import { PAGE_CAPS, pageSize, type CursorPageArgs } from "./paging.js";

export class SessionService {
  constructor(
    private readonly store: Store,
    private readonly models: ModelService,
    private readonly scheduler: TurnScheduler,
  ) {}

  async create(actor: Actor, input: SessionInput = {}): Promise<Session> {
    const fields = validateSessionInput(input, "create");
    if (fields.modelId) await this.models.require(fields.modelId, "modelId");
    if (fields.agentId) await this.requireAgent(actor, fields.agentId);
    return this.store.sessions.create(actor.ownerId, fields);
  }

  /** null when the id is unknown or not the actor's. */
  async find(actor: Actor, id: unknown, field = "id"): Promise<Session | null> {
    return this.store.sessions.get(actor.ownerId, parseId("session", id, field));
  }

  async get(actor: Actor, id: unknown, field = "id"): Promise<Session> {
    const session = await this.find(actor, id, field);
    if (!session) throw notFound("Session", String(id));
    return session;
  }

  async update(actor: Actor, id: unknown, input: SessionInput): Promise<Session> {
    const sessionId = parseId("session", id, "id");
    const fields = validateSessionInput(input, "update");
    if (fields.modelId) await this.models.require(fields.modelId, "modelId");
    if (fields.agentId) await this.requireAgent(actor, fields.agentId);
    const session = await this.store.sessions.update(actor.ownerId, sessionId, fields);
    if (!session) throw notFound("Session", sessionId);
    return session;
  }

  async delete(actor: Actor, id: unknown): Promise<string> {
    const session = await this.get(actor, id);
    // Stop a running turn first (ownership is checked above), so it does not write into a deleted log.
    await this.scheduler.cancel(session.id);
    if (!(await this.store.sessions.delete(actor.ownerId, session.id))) throw notFound("Session", session.id);
    return session.id;
  }

  /** The actor's sessions, newest first; REST passes `limit` for `first`. */
  async list(actor: Actor, args: CursorPageArgs & SessionFilter) {
    const { size, backward } = pageSize(args, PAGE_CAPS.sessions);
    for (const key of ["after", "before"] as const) if (args[key] != null) parseId("session", args[key], key);
    return this.store.sessions.page(actor.ownerId, args, size, backward);
  }

  /** Cancels the running turn; "no_op" when the session is idle. */
  async cancelTurn(actor: Actor, id: unknown, field = "sessionId"): Promise<{ session: Session; result: "cancelled" | "no_op" }> {
    const session = await this.get(actor, id, field);
    const result = await this.scheduler.cancel(session.id);
    return { session: (await this.store.sessions.get(actor.ownerId, session.id)) ?? session, result };
  }

  /** Another key's agent is NOT_FOUND, exactly like an unknown one. */
  private async requireAgent(actor: Actor, agentId: string): Promise<void> {
    if (!(await this.store.agents.get(actor.ownerId, agentId))) throw new AppError("NOT_FOUND", `Agent ${agentId} not found`, "agentId");
  }

  /**
   * Copies the session's log up to `atSequence` (a boundary; default: all of
   * it, when no turn is open) into a new session (SPEC §11 "Fork").
   */
  async fork(actor: Actor, input: { sessionId: unknown; atSequence?: unknown; title?: unknown }): Promise<Session> {
    const sourceId = parseId("session", input.sessionId, "sessionId");
    const at = input.atSequence ?? null;
    if (at !== null && !Number.isSafeInteger(at)) throw validation("atSequence", "atSequence must be an integer");
    const { title } = validateSessionInput({ title: input.title ?? undefined }, "create");
    const { session, appended } = await this.store.forks.fork(actor.ownerId, { sourceId, atSequence: at as number | null, title: title ?? null });
    this.store.log.notify(session.id, appended);
    return session;
  }
}
