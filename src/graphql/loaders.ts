// Per-operation DataLoaders: every read by id is one batched, owner-scoped
// query per kind and tick, so a page costs the same number of statements
// whatever its size (SPEC §5 "Efficiency"). Another owner's row loads as null,
// exactly like an unknown id.
import DataLoader from "dataloader";
import type { Actor, Services } from "../service/index.js";
import type { Agent } from "../store/agents.js";
import type { StoredEvent } from "../store/event-log.js";
import type { ImageMeta } from "../store/images.js";
import type { Model } from "../store/models.js";
import type { MessageRow } from "../store/rows.js";
import type { Session } from "../store/sessions.js";

export interface Loaders {
  sessions: DataLoader<string, Session | null>;
  messages: DataLoader<string, MessageRow | null>;
  /** The message an event produced (input.message, output.message.completed, tool.completed). */
  messagesByEvent: DataLoader<string, MessageRow | null>;
  events: DataLoader<string, StoredEvent | null>;
  images: DataLoader<string, ImageMeta | null>;
  models: DataLoader<string, Model | null>;
  agents: DataLoader<string, Agent | null>;
  /** Forgets cached rows; a subscription calls it per event, since events can be minutes apart. */
  clearAll(): void;
}

/** Orders `rows` like `keys`, null where a key has no row. */
function inOrder<K, T>(keys: readonly K[], rows: readonly T[], keyOf: (row: T) => K): (T | null)[] {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => byKey.get(key) ?? null);
}

export function createLoaders(actor: Actor, services: Services): Loaders {
  const { store } = services;
  const owner = actor.ownerId;

  const sessions = new DataLoader<string, Session | null>(async (ids) =>
    inOrder(ids, await store.sessions.getMany(owner, ids), (s) => s.id),
  );

  /** Keeps the rows whose session the actor owns, for reads keyed by something other than an owned id. */
  const owned = async <T extends { sessionId: string }>(rows: T[]): Promise<T[]> => {
    const ownedSessions = await sessions.loadMany([...new Set(rows.map((row) => row.sessionId))]);
    const ids = new Set(ownedSessions.flatMap((s) => (s && !(s instanceof Error) ? [s.id] : [])));
    return rows.filter((row) => ids.has(row.sessionId));
  };

  const loaders: Loaders = {
    sessions,
    messages: new DataLoader(async (ids) => inOrder(ids, await store.messages.getMany(owner, ids), (m) => m.id)),
    messagesByEvent: new DataLoader(async (eventIds) =>
      inOrder(eventIds, await owned(await store.messages.getByEventIds(eventIds)), (m) => m.eventId),
    ),
    // Only node(id) asks for events by id, one at a time in practice.
    events: new DataLoader(async (ids) => {
      const found = await Promise.all(ids.map((id) => store.log.findById(id)));
      return inOrder(ids, await owned(found.filter((e) => e !== null)), (e) => e.id);
    }),
    images: new DataLoader(async (ids) => inOrder(ids, await store.images.getMany(owner, ids), (i) => i.id)),
    models: new DataLoader(async (ids) => inOrder(ids, await store.models.getMany(ids), (m) => m.id)),
    agents: new DataLoader(async (ids) => inOrder(ids, await store.agents.getMany(owner, ids), (a) => a.id)),
    clearAll() {
      for (const loader of [loaders.sessions, loaders.messages, loaders.messagesByEvent, loaders.events, loaders.images, loaders.models, loaders.agents]) {
        loader.clearAll();
      }
    },
  };
  return loaders;
}
