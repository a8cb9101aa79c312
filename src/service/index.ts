// The use cases GraphQL resolvers and REST handlers call. No business rule
// lives in a transport.
import { ToolRegistry } from "../agent/tools/registry.js";
import type { Bus } from "../bus/bus.js";
import type { Store } from "../store/index.js";
import { AgentService, type ServerTool } from "./agents.js";
import type { TurnScheduler } from "./context.js";
import { EventService } from "./events.js";
import { ImageService } from "./images.js";
import { MessageService } from "./messages.js";
import { SessionService } from "./sessions.js";
import { ToolResultService } from "./tool-results.js";

export interface Services {
  sessions: SessionService;
  messages: MessageService;
  events: EventService;
  images: ImageService;
  agents: AgentService;
  toolResults: ToolResultService;
  store: Store;
  bus: Bus;
}

export interface ServiceDeps {
  store: Store;
  bus: Bus;
  scheduler: TurnScheduler;
  keyRecheckMs?: number | null;
  /** MAX_ITERATIONS (default 10): the default of Agent.maxIterations. */
  maxIterations?: number;
  /** The server tools on offer; the built-in registry when not given. */
  serverTools?: () => readonly ServerTool[];
}

const builtinTools = (registry = new ToolRegistry()) => (): ServerTool[] =>
  registry.specs().map((spec) => ({ ...spec, source: "BUILTIN", server: null }));

export function createServices(deps: ServiceDeps): Services {
  const serverTools = deps.serverTools ?? builtinTools();
  return {
    sessions: new SessionService(deps.store, deps.scheduler),
    messages: new MessageService(deps.store, deps.scheduler, () => serverTools().map((t) => t.name)),
    events: new EventService(deps.store, deps.bus, deps.keyRecheckMs ?? null),
    images: new ImageService(deps.store),
    agents: new AgentService(deps.store, serverTools, deps.maxIterations ?? 10),
    toolResults: new ToolResultService(deps.store, deps.scheduler),
    store: deps.store,
    bus: deps.bus,
  };
}

export type { Actor, TurnScheduler } from "./context.js";
export type { ServerTool } from "./agents.js";
export { LOCAL_OWNER } from "./context.js";
