// Session use cases, shared by GraphQL and REST.
import { validateSessionInput, type SessionInput } from "../domain/validation.js";
import { notFound } from "../errors.js";
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
}
