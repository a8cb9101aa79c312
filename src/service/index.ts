// The use cases GraphQL resolvers and REST handlers call. No business rule
// lives in a transport, and no transport sees the store or the bus.
import type { Bus } from "../bus/bus.js";
import type { KeyRevocations } from "../bus/key-revocations.js";
import type { Store } from "../store/index.js";
import { AgentService, type ServerTool } from "./agents.js";
import type { TurnScheduler } from "./context.js";
import { EventService } from "./events.js";
import { ImageService } from "./images.js";
import { MessageService } from "./messages.js";
import { ModelService } from "./models.js";
import { ProtocolService } from "./protocols.js";
import { createBatchReads, type BatchReads } from "./reads.js";
import { SessionService } from "./sessions.js";
import { ToolResultService } from "./tool-results.js";
import { TurnWaiter } from "./turn-wait.js";

export interface Services {
  sessions: SessionService;
  messages: MessageService;
  events: EventService;
  images: ImageService;
  agents: AgentService;
  models: ModelService;
  /** AG-UI and AI SDK: which session a thread or chat names, which turn a run streams. */
  protocols: ProtocolService;
  /** Batched owner-scoped reads by id, for DataLoaders. */
  reads: BatchReads;
  /** Answers to waiting tool calls (SPEC §11). */
  toolResults: ToolResultService;
}

export interface ServiceDeps {
  store: Store;
  bus: Bus;
  scheduler: TurnScheduler;
  keyRecheckMs?: number | null;
  /** Key revocations heard from the database, to end a revoked key's streams at once. */
  revocations?: KeyRevocations;
  /** STREAM_MAX_BUFFERED_BYTES (default 8 MiB): what a stalled stream subscriber may hold before it is cut off. */
  streamMaxBufferedBytes?: number;
  /** MAX_ITERATIONS (default 10): the default of Agent.maxIterations. */
  maxIterations?: number;
  /** The server tools on offer right now (built-ins and connected MCP servers). */
  serverTools: () => readonly ServerTool[];
}

export function createServices(deps: ServiceDeps): Services {
  const { serverTools } = deps;
  const models = new ModelService(deps.store);
  const sessions = new SessionService(deps.store, models, deps.scheduler);
  const waiter = new TurnWaiter(deps.store, deps.bus);
  const messages = new MessageService(deps.store, models, deps.scheduler, waiter, () => serverTools().map((t) => t.name));
  const events = new EventService(deps.store, deps.bus, deps.keyRecheckMs ?? null, deps.streamMaxBufferedBytes, deps.revocations);
  const toolResults = new ToolResultService(deps.store, deps.scheduler);
  return {
    sessions,
    messages,
    events,
    protocols: new ProtocolService(deps.store.protocolLinks, { sessions, messages, events, toolResults }),
    images: new ImageService(deps.store),
    agents: new AgentService(deps.store, models, serverTools, deps.maxIterations ?? 10),
    models,
    reads: createBatchReads(deps.store),
    toolResults,
  };
}

export type { Actor, TurnScheduler } from "./context.js";
export type { ServerTool } from "./agents.js";
export type { BatchReads } from "./reads.js";
export { LOCAL_OWNER } from "./context.js";
