// Message use cases: createMessage (validate, store the user message with its
// queued turn in one statement, wake the runner) and reads.
import { createHash } from "node:crypto";
import type { ContentPart } from "../domain/content.js";
import type { MessageRole } from "../domain/enums.js";
import { validateClientTools } from "../domain/agents.js";
import { newMessage, type Message } from "../domain/messages.js";
import { checkStorableString } from "../domain/json-bounds.js";
import { parseDelivery, parseWaitMs } from "../domain/delivery.js";
import { stableStringify } from "../domain/stable-json.js";
import { validateMessageInput, type MessageInput } from "../domain/validation.js";
import { isUniqueViolation } from "../db/errors.js";
import { AppError, notFound, validation } from "../errors.js";
import { newId, parseId } from "../ids.js";
import type { Store } from "../store/index.js";
import type { MessageColumn } from "../store/messages.js";
import type { Actor, TurnScheduler } from "./context.js";
import type { ModelService } from "./models.js";
import type { TurnWaiter } from "./turn-wait.js";
import { decodeCursor, PAGE_CAPS, pageSize, type CursorPageArgs, type PageCaps } from "./paging.js";

export interface CreateMessageCommand extends MessageInput {
  /** QUEUE (default) | STEER | INTERRUPT | REJECT, any case. */
  delivery?: unknown;
  /** Wait mode (SPEC §11): answer once the message's turn has ended or waits for tool results, or after this many ms. */
  waitMs?: unknown;
  sessionId: unknown;
  idempotencyKey?: unknown;
}

export interface MessagePageArgs extends CursorPageArgs {
  roles?: readonly MessageRole[] | null;
}

/** REST's list: the oldest `limit` messages (all up to the cap by default). */
export interface MessageListArgs {
  limit?: number | null;
  roles?: readonly MessageRole[] | null;
}

const MAX_IDEMPOTENCY_KEY = 255;

export class MessageService {
  constructor(
    private readonly store: Store,
    private readonly models: ModelService,
    private readonly scheduler: TurnScheduler,
    private readonly waiter: TurnWaiter,
    /** Names of the server tools on offer (a per-turn client tool may not reuse one). */
    private readonly serverToolNames: () => readonly string[] = () => [],
  ) {}

  /**
   * Stores the user message as its delivery says and wakes the runner. In
   * wait mode it answers once the message's turn (the one it steers into, for
   * STEERED) has ended or waits for tool results, after `waitMs`, or when
   * `signal` aborts (the client went away), whichever is first.
   */
  async create(actor: Actor, command: CreateMessageCommand, signal?: AbortSignal): Promise<Message> {
    const waitMs = parseWaitMs(command.waitMs, "waitMs");
    const message = await this.post(actor, command);
    if (waitMs !== null && message.turnId) await this.waiter.wait(message.sessionId, message.turnId, waitMs, signal);
    return message;
  }

  /** Where a message's turn is (wait mode's answer): its status and the messages it appended after `message`. */
  async turnProgress(actor: Actor, message: Message) {
    return this.waiter.progress(actor.ownerId, message);
  }

  private async post(actor: Actor, command: CreateMessageCommand): Promise<Message> {
    const sessionId = parseId("session", command.sessionId, "sessionId");
    const input = validateMessageInput(command, { serverToolNames: this.serverToolNames() });
    const key = idempotencyKey(command.idempotencyKey);
    const delivery = parseDelivery(command.delivery);
    if (input.controls?.model_id) await this.models.require(input.controls.model_id, "controls.modelId");
    await this.requireImages(actor, input.content);

    const requestHash = createHash("sha256").update(stableStringify(input)).digest("hex");
    const turnId = newId("turn");
    const { content, controls, externalActor, metadata, tags } = input;
    const message = newMessage({ id: newId("message"), sessionId, role: "USER", content, controls, externalActor, metadata, tags, turnId });
    let posted;
    try {
      // The session, the key, the session's line and the append with its queued turn: one statement (src/store/input-messages.ts).
      posted = await this.store.inputMessages.post(actor.ownerId, sessionId, { message, turnId, delivery, idempotencyKey: key, requestHash });
    } catch (error) {
      // Two requests with one key raced: the loser answers like a replay.
      if (!(key && isUniqueViolation(error))) throw error;
      posted = { kind: "replay" as const };
    }
    if (posted.kind === "not_found") throw notFound("Session", sessionId);
    if (posted.kind === "replay") {
      const replay = key && (await this.replay(actor, sessionId, key, requestHash));
      if (!replay) throw notFound("Session", sessionId); // deleted meanwhile
      return replay;
    }
    const { open } = posted;
    if (posted.kind === "rejected") {
      throw new AppError("CONFLICT", `A turn is ${posted.open.state} in session ${sessionId}; delivery REJECT stores nothing`, "delivery");
    }
    // A QUEUE message ends a waiting turn (SPEC §11): its input.message comes first, then the cancelled calls and turn.cancelled.
    if (open?.state === "waiting" && delivery === "queue") await this.store.pendingCalls.cancelWaitingTurn(sessionId, "superseded", open.id);
    if (posted.interrupts) await this.scheduler.interrupt(sessionId, posted.interrupts);
    this.scheduler.wake(sessionId);
    return posted.message;
  }

  /** VALIDATION_FAILED (naming `field`) unless `tools` are valid client tools for a turn, checked before anything is stored. */
  checkClientTools(tools: unknown, field: string): void {
    validateClientTools(tools, field, this.serverToolNames());
  }

  /** A Relay page of the actor's session; null when it is not theirs. `columns` narrows the nodes to what the caller reads. */
  page(actor: Actor, sessionId: string, args: MessagePageArgs, columns?: readonly MessageColumn[]) {
    return this.readPage(actor, sessionId, args, PAGE_CAPS.messages, columns);
  }

  /** REST's message list of the actor's session: NOT_FOUND naming `field` when it is not theirs. */
  async list(actor: Actor, sessionId: unknown, args: MessageListArgs, field = "sessionId") {
    const id = parseId("session", sessionId, field);
    const page = await this.readPage(actor, id, args, PAGE_CAPS.restMessages);
    if (!page) throw notFound("Session", String(sessionId));
    return page;
  }

  private async readPage(actor: Actor, sessionId: string, args: MessagePageArgs & MessageListArgs, caps: PageCaps, columns?: readonly MessageColumn[]) {
    const { size, backward } = pageSize(args, caps);
    const cursorArg = backward ? args.before : args.after;
    const cursor = cursorArg != null ? decodeCursor(cursorArg, backward ? "before" : "after") : null;
    const page = await this.store.messages.page(actor.ownerId, sessionId, { size, backward, cursor, roles: args.roles, columns });
    if (!page) return null;
    return {
      ...page,
      backward,
      cursor,
      totalCount: () => this.store.messages.count(actor.ownerId, sessionId, args.roles),
    };
  }

  private async replay(actor: Actor, sessionId: string, key: string, requestHash: string): Promise<Message | null> {
    const queued = await this.store.messages.byIdempotencyKey(actor.ownerId, sessionId, key);
    if (!queued) return null;
    if (queued.requestHash !== requestHash) {
      throw new AppError("CONFLICT", `idempotencyKey ${JSON.stringify(key)} was already used with a different message`, "idempotencyKey");
    }
    return queued.message;
  }

  private async requireImages(actor: Actor, content: ContentPart[]): Promise<void> {
    const refs = content.flatMap((part, i) => (part.type === "image_file" ? [{ id: part.image_id, i }] : []));
    if (refs.length === 0) return;
    const found = await this.store.images.existing(actor.ownerId, refs.map((r) => r.id));
    const missing = refs.find((r) => !found.has(r.id));
    if (missing) throw new AppError("NOT_FOUND", `Image ${missing.id} not found`, `message.content[${missing.i}].imageId`);
  }
}

function idempotencyKey(value: unknown): string | null {
  if (value == null) return null;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_IDEMPOTENCY_KEY) {
    throw validation("idempotencyKey", `idempotencyKey must be a non-empty string of at most ${MAX_IDEMPOTENCY_KEY} characters`);
  }
  return checkStorableString(value, "idempotencyKey");
}
