// Message use cases: createMessage (validate, store the user message and its
// queued turn in one transaction, wake the runner) and reads.
import { createHash } from "node:crypto";
import type { StoredMessage } from "../domain/content.js";
import { events } from "../domain/events.js";
import { stableStringify } from "../domain/stable-json.js";
import { validateMessageInput, type MessageInput } from "../domain/validation.js";
import { isUniqueViolation } from "../db/errors.js";
import type { MessageRole } from "../generated/prisma/client.js";
import { AppError, notFound, validation } from "../errors.js";
import { newId, parseId } from "../ids.js";
import type { Store } from "../store/index.js";
import { rowOf, type MessageRow } from "../store/rows.js";
import type { Actor, TurnScheduler } from "./context.js";
import { decodeCursor, pageSize } from "./paging.js";

export interface CreateMessageCommand extends MessageInput {
  sessionId: unknown;
  idempotencyKey?: unknown;
}

export interface MessagePageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  roles?: readonly MessageRole[] | null;
}

const MAX_IDEMPOTENCY_KEY = 255;

export class MessageService {
  constructor(
    private readonly store: Store,
    private readonly scheduler: TurnScheduler,
    /** Names of the server tools on offer (a per-turn client tool may not reuse one). */
    private readonly serverToolNames: () => readonly string[] = () => [],
  ) {}

  async create(actor: Actor, command: CreateMessageCommand): Promise<MessageRow> {
    const sessionId = parseId("session", command.sessionId, "sessionId");
    const input = validateMessageInput(command, { serverToolNames: this.serverToolNames() });
    const key = idempotencyKey(command.idempotencyKey);
    const session = await this.store.sessions.get(actor.ownerId, sessionId);
    if (!session) throw notFound("Session", sessionId);
    if (input.controls?.model_id && !(await this.store.models.get(input.controls.model_id))) {
      throw new AppError("NOT_FOUND", `Model ${input.controls.model_id} not found`, "controls.modelId");
    }
    await this.requireImages(actor, input.content);

    const requestHash = createHash("sha256").update(stableStringify(input)).digest("hex");
    if (key) {
      const replay = await this.replay(sessionId, key, requestHash);
      if (replay) return replay;
    }

    const messageId = newId("message");
    const turnId = newId("turn");
    const message: StoredMessage = {
      id: messageId,
      session_id: sessionId,
      role: "user",
      content: input.content,
      controls: input.controls,
      external_actor: input.externalActor,
      metadata: input.metadata,
      tags: input.tags,
      phase: null,
      turn_id: turnId,
      created_at: new Date().toISOString(),
    };
    let appended;
    try {
      // The message, its event and its queued turn: one statement, all or nothing.
      appended = await this.store.log.append(sessionId, [events.inputMessage(message, turnId)], {
        queueTurn: { id: turnId, inputMessageId: messageId, idempotencyKey: key, requestHash },
      });
    } catch (error) {
      // Two requests with one key raced: the loser answers like a replay.
      if (key && isUniqueViolation(error)) {
        const replay = await this.replay(sessionId, key, requestHash);
        if (replay) return replay;
      }
      throw error;
    }
    this.scheduler.wake(sessionId);
    return rowOf(message, appended[0]!);
  }

  /** null when unknown or not the actor's. */
  async find(actor: Actor, id: unknown, field = "id"): Promise<MessageRow | null> {
    const [row] = await this.store.messages.getMany(actor.ownerId, [parseId("message", id, field)]);
    return row ?? null;
  }

  /** A page of a session the caller already holds (owner checked by the caller). */
  async page(sessionId: string, args: MessagePageArgs, maxSize?: number) {
    const { size, backward } = pageSize(args, 100, maxSize);
    const cursorArg = backward ? args.before : args.after;
    const cursor = cursorArg != null ? decodeCursor(cursorArg, backward ? "before" : "after") : null;
    const page = await this.store.messages.page(sessionId, { size, backward, cursor, roles: args.roles });
    return {
      ...page,
      backward,
      cursor,
      totalCount: () => this.store.messages.count(sessionId, args.roles),
    };
  }

  private async replay(sessionId: string, key: string, requestHash: string): Promise<MessageRow | null> {
    const turn = await this.store.turns.findByIdempotencyKey(sessionId, key);
    if (!turn) return null;
    if (turn.requestHash !== requestHash) {
      throw new AppError("CONFLICT", `idempotencyKey ${JSON.stringify(key)} was already used with a different message`, "idempotencyKey");
    }
    return this.requireRow(turn.inputMessageId);
  }

  private async requireImages(actor: Actor, content: StoredMessage["content"]): Promise<void> {
    const refs = content.flatMap((part, i) => (part.type === "image_file" ? [{ id: part.image_id, i }] : []));
    if (refs.length === 0) return;
    const found = await this.store.images.existing(actor.ownerId, refs.map((r) => r.id));
    const missing = refs.find((r) => !found.has(r.id));
    if (missing) throw new AppError("NOT_FOUND", `Image ${missing.id} not found`, `message.content[${missing.i}].imageId`);
  }

  private async requireRow(id: string): Promise<MessageRow> {
    const row = await this.store.prisma.message.findUnique({ where: { id } });
    if (!row) throw new Error(`message ${id} vanished after append`);
    return row;
  }
}

function idempotencyKey(value: unknown): string | null {
  if (value == null) return null;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_IDEMPOTENCY_KEY) {
    throw validation("idempotencyKey", `idempotencyKey must be a non-empty string of at most ${MAX_IDEMPOTENCY_KEY} characters`);
  }
  return value;
}
