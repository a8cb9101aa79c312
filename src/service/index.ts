// The use cases GraphQL resolvers and REST handlers call. No business rule
// lives in a transport.
import type { Bus } from "../bus/bus.js";
import type { Store } from "../store/index.js";
import type { TurnScheduler } from "./context.js";
import { EventService } from "./events.js";
import { ImageService } from "./images.js";
import { MessageService } from "./messages.js";
import { SessionService } from "./sessions.js";

export interface Services {
  sessions: SessionService;
  messages: MessageService;
  events: EventService;
  images: ImageService;
  store: Store;
  bus: Bus;
}

export function createServices(deps: { store: Store; bus: Bus; scheduler: TurnScheduler; keyRecheckMs?: number | null }): Services {
  return {
    sessions: new SessionService(deps.store, deps.scheduler),
    messages: new MessageService(deps.store, deps.scheduler),
    events: new EventService(deps.store, deps.bus, deps.keyRecheckMs ?? null),
    images: new ImageService(deps.store),
    store: deps.store,
    bus: deps.bus,
  };
}

export type { Actor, TurnScheduler } from "./context.js";
export { LOCAL_OWNER } from "./context.js";
