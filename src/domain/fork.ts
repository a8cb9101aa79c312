// Forking a session (SPEC §11): the copied log gets new ids for everything the
// session owns, mapped consistently, so references between its events (a
// tool.completed's message_id, a turn id in context and data) still line up.
import { newId } from "../ids.js";
import type { JsonValue } from "./content.js";

/** Prefixes a fork gives new ids; tool-call, img_, model_ and agent_ ids are references that stay. */
const REMAPPED = /^(session|message|event|turn)_[0-9a-f]{32}$/;

/** The fork's title unless one is given: the source's plus " (fork)"; an untitled source gives "(fork)". */
export const forkTitle = (sourceTitle: string | null): string => `${sourceTitle ?? ""} (fork)`.trimStart();

/**
 * Maps the source session's ids to fresh ones, the same old id always to the
 * same new id. Ids are minted in first-seen order (the log order), and new ids
 * sort like creation time, so the copies keep the originals' relative order.
 * Another session's id (a fork's `forked_from_session_id`) is a reference to
 * something outside the copy and stays.
 */
export class IdRemap {
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly sourceSessionId: string,
    readonly targetSessionId: string,
  ) {
    this.ids.set(sourceSessionId, targetSessionId);
  }

  /** The new id for `id`, or `id` itself when it is not one the fork renews. */
  id(id: string): string {
    const known = this.ids.get(id);
    if (known) return known;
    const match = REMAPPED.exec(id);
    if (!match || match[1] === "session") return id;
    const fresh = newId(match[1] as "message" | "event" | "turn");
    this.ids.set(id, fresh);
    return fresh;
  }

  nullable(id: string | null): string | null {
    return id === null ? null : this.id(id);
  }

  /** A copy of `value` with every string equal to a renewed id replaced (object keys included). */
  json<T extends JsonValue>(value: T): T {
    if (typeof value === "string") return this.id(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.json(v)) as T;
    if (value !== null && typeof value === "object") {
      const out: Record<string, JsonValue> = {};
      for (const [key, v] of Object.entries(value)) out[this.id(key)] = this.json(v);
      return out as T;
    }
    return value;
  }

  /** The new id of an id already mapped (undefined when the copy never met it). */
  mapped(id: string): string | undefined {
    return this.ids.get(id);
  }

  get source(): string {
    return this.sourceSessionId;
  }
}
