// Per-operation DataLoaders: every read by id is one batched, owner-scoped
// query per kind and tick, so a page costs the same number of statements
// whatever its size (SPEC §5 "Efficiency"). Another owner's row loads as null,
// exactly like an unknown id.
import DataLoader from "dataloader";
import type { StoredEvent } from "../domain/events.js";
import type { Message } from "../domain/messages.js";
import type { Actor, BatchReads } from "../service/index.js";
import type { Agent } from "../store/agents.js";
import type { ImageMeta } from "../store/images.js";
import type { Model } from "../store/models.js";
import type { Session } from "../store/sessions.js";

export interface Loaders {
  sessions: DataLoader<string, Session | null>;
  messages: DataLoader<string, Message | null>;
  /** The message an event produced (input.message, output.message.completed, tool.completed). */
  messagesByEvent: DataLoader<string, Message | null>;
  events: DataLoader<string, StoredEvent | null>;
  images: DataLoader<string, ImageMeta | null>;
  models: DataLoader<string, Model | null>;
  agents: DataLoader<string, Agent | null>;
  /** Forgets cached rows; a subscription calls it per event, since events can be minutes apart. */
  clearAll(): void;
}

/** A loader over a batched read, ordering its rows like the keys (null where a key has none). */
function loader<T>(read: (keys: readonly string[]) => Promise<T[]>, keyOf: (row: T) => string): DataLoader<string, T | null> {
  return new DataLoader(async (keys) => {
    const byKey = new Map((await read(keys)).map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

export function createLoaders(actor: Actor, reads: BatchReads): Loaders {
  const loaders: Loaders = {
    sessions: loader((ids) => reads.sessions(actor, ids), (s) => s.id),
    messages: loader((ids) => reads.messages(actor, ids), (m) => m.id),
    messagesByEvent: loader((ids) => reads.messagesByEvent(actor, ids), (m) => m.eventId),
    events: loader((ids) => reads.events(actor, ids), (e) => e.id),
    images: loader((ids) => reads.images(actor, ids), (i) => i.id),
    models: loader((ids) => reads.models(ids), (m) => m.id),
    agents: loader((ids) => reads.agents(actor, ids), (a) => a.id),
    clearAll() {
      for (const l of [loaders.sessions, loaders.messages, loaders.messagesByEvent, loaders.events, loaders.images, loaders.models, loaders.agents]) l.clearAll();
    },
  };
  return loaders;
}
