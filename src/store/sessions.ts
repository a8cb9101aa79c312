// Sessions, always scoped by owner: an id owned by someone else reads exactly
// like an unknown id (SPEC §7), because the owner is part of every WHERE.
import type { Prisma } from "../db/client.js";
import type { DirectSql } from "../db/direct.js";
import type { Session } from "../generated/prisma/client.js";
import { Prisma as P } from "../generated/prisma/client.js";
import type { JsonObject } from "../domain/content.js";
import { events } from "../domain/events.js";
import type { ValidatedSession } from "../domain/validation.js";
import { newId } from "../ids.js";
import type { StoredEvent } from "../domain/events.js";
import type { EventLog } from "./event-log.js";

export type { Session };
export type SessionStatus = Session["status"];

/** The validated fields a session is created or updated with. */
export type SessionFields = ValidatedSession;

/** Which of the owner's sessions a page reads: filters, and the cursor to read after (or before, backwards). */
export interface SessionFilter {
  status?: SessionStatus | null;
  tag?: string | null;
  after?: string | null;
  before?: string | null;
}

const json = (value: JsonObject | null | undefined) =>
  value === undefined ? undefined : value === null ? P.DbNull : (value as P.InputJsonValue);

export class SessionStore {
  constructor(
    private readonly prisma: Prisma,
    private readonly log: EventLog,
    private readonly sql: DirectSql,
  ) {}

  /** Creates the session and appends `session.started` (sequence 1) atomically. */
  async create(ownerId: string, fields: SessionFields): Promise<Session> {
    const id = newId("session");
    const now = new Date();
    const [session, appended] = await this.prisma.$transaction(async (tx) => {
      await tx.session.create({
        data: {
          id,
          ownerId,
          title: fields.title ?? null,
          locale: fields.locale ?? null,
          modelId: fields.modelId ?? null,
          hints: json(fields.hints),
          tags: fields.tags ?? [],
          metadata: json(fields.metadata),
          agentId: fields.agentId ?? null,
          createdAt: now,
          updatedAt: now,
        },
      });
      const appended = await this.log.append(id, [events.sessionStarted(fields.modelId ?? null)], { tx });
      return [await tx.session.findUniqueOrThrow({ where: { id } }), appended] as const;
    });
    this.log.notify(id, appended);
    return session;
  }

  // The two hottest reads use fixed SQL on the driver (Prisma's per-call overhead dominates them).
  async get(ownerId: string, id: string): Promise<Session | null> {
    const [row] = await this.getMany(ownerId, [id]);
    return row ?? null;
  }

  getMany(ownerId: string, ids: readonly string[]): Promise<Session[]> {
    return this.sql.$queryRawUnsafe<Session[]>(`SELECT * FROM "Session" WHERE "id" = ANY($1::text[]) AND "ownerId" = $2`, [...ids], ownerId);
  }

  /** The sequence of the owner's session's latest event; 0 when the session is not the owner's. */
  async lastSequence(ownerId: string, id: string): Promise<number> {
    const row = await this.prisma.session.findFirst({ where: { id, ownerId }, select: { lastSequence: true } });
    return row?.lastSequence ?? 0;
  }

  /** Replaces the given fields and appends `session.updated`; null when not found. */
  async update(ownerId: string, id: string, fields: SessionFields): Promise<Session | null> {
    let appended: StoredEvent[] = [];
    const session = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.session.updateMany({
        where: { id, ownerId },
        data: {
          title: fields.title,
          locale: fields.locale,
          modelId: fields.modelId,
          hints: json(fields.hints),
          tags: fields.tags,
          metadata: json(fields.metadata),
          agentId: fields.agentId,
        },
      });
      if (count === 0) return null;
      appended = await this.log.append(id, [{ type: "session.updated", context: {}, data: { fields: Object.keys(fields) } }], { tx });
      return tx.session.findUniqueOrThrow({ where: { id } });
    });
    if (session) this.log.notify(id, appended);
    return session;
  }

  /** Deletes the session with its events, messages and turns (cascade). */
  async delete(ownerId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.session.deleteMany({ where: { id, ownerId } });
    return count > 0;
  }

  /** Newest first; cursors are session ids (which sort by creation time). */
  async page(ownerId: string, args: SessionFilter, size: number, backward: boolean) {
    const where: P.SessionWhereInput = {
      ownerId,
      ...(args.status ? { status: args.status } : {}),
      ...(args.tag ? { tags: { has: args.tag } } : {}),
    };
    const cursor = backward ? args.before : args.after;
    const rows = await this.prisma.session.findMany({
      where: cursor ? { ...where, id: backward ? { gt: cursor } : { lt: cursor } } : where,
      orderBy: { id: backward ? "asc" : "desc" },
      take: size + 1,
    });
    const hasMore = rows.length > size;
    const nodes = rows.slice(0, size);
    if (backward) nodes.reverse();
    return { nodes, hasMore, count: () => this.prisma.session.count({ where }) };
  }
}
