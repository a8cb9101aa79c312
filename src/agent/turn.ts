// One agent turn, in the order of SPEC §4: turn.started, session.activated,
// then model steps (started / deltas / completed) and their tool calls, until
// the model answers without tools or the iteration limit; then the turn's end
// event and session.idled, appended atomically with the Turn row's new status.
import { defaultAgent, type AgentSnapshot } from "../domain/agents.js";
import { isJsonObject, type Disclosure, type JsonObject } from "../domain/content.js";
import { addUsage, events, zeroUsage, type NewEvent, type TurnErrorCode, type Usage } from "../domain/events.js";
import { discloseError, effectiveDisclosure } from "../domain/disclosure.js";
import { messageFromEvent, newMessage, type NewMessage } from "../domain/messages.js";
import { newId } from "../ids.js";
import type { Logger } from "../log.js";
import { agentSnapshot } from "../store/agents.js";
import type { Store } from "../store/index.js";
import type { Turn } from "../store/turns.js";
import type { Model } from "../store/models.js";
import { DeltaWriter } from "./delta-writer.js";
import { DriverError, type AgentDriver } from "./drivers/driver.js";
import { toolSpecs, type ToolCatalog } from "./tools/catalog.js";

/** Why a running turn was aborted: the client cancelled, or the process stops/lost the lease (write nothing). */
export class TurnAbort extends Error {
  constructor(readonly kind: "cancel" | "shutdown" | "lease_lost", reason: string) {
    super(reason);
  }
}

export interface TurnDeps {
  store: Store;
  /** The server tools: built-ins and the MCP servers connected right now. */
  tools: ToolCatalog;
  /** The driver for a model's provider, or undefined when that provider is not configured. */
  driverFor(provider: string): AgentDriver | undefined;
  defaultModelId: string;
  /** MAX_ITERATIONS: the default agent's limit of model steps. */
  maxIterations: number;
  /** How many earlier messages a model step sees. */
  historyLimit: number;
  leaseOwner: string;
  logger: Logger;
}

export type TurnOutcome = "completed" | "failed" | "cancelled" | "abandoned";

const SAFE_MESSAGES: Record<TurnErrorCode, string> = {
  llm_error: "The model provider returned an error.",
  max_iterations: "The agent reached its iteration limit without a final answer.",
  interrupted: "The turn was interrupted by a server restart.",
  tool_error: "A tool failed.",
  model_unavailable: "The requested model is not available on this server.",
};

export async function runTurn(deps: TurnDeps, turn: Turn, signal: AbortSignal): Promise<TurnOutcome> {
  const { store } = deps;
  // A turn acts for no caller: it reads its session and input as the system does.
  const [input, session] = await Promise.all([store.system.message(turn.inputMessageId), store.system.session(turn.sessionId)]);
  if (!input || !session) return "abandoned"; // the session was deleted meanwhile
  const sessionId = session.id;
  const controls = input.controls ?? {};
  const ctx = { turnId: turn.id, inputMessageId: input.id };
  const append = (e: NewEvent[]) => store.log.append(sessionId, e);
  const startedAt = Date.now();
  let usage: Usage = zeroUsage();
  let iterations = 0;
  let disclosure: Disclosure = effectiveDisclosure(controls.error_disclosure, "standard");

  const end = async (last: NewEvent, status: "COMPLETED" | "FAILED" | "CANCELLED"): Promise<boolean> => {
    const idled = events.sessionIdled(ctx, iterations, usage);
    const appended = await store.log.append(sessionId, [last, idled], { endTurn: { id: turn.id, status, leaseOwner: deps.leaseOwner } });
    return appended.length > 0;
  };
  const fail = async (code: TurnErrorCode, detail?: string | null, safeMessage = SAFE_MESSAGES[code]) => {
    const error = discloseError(disclosure, { code, safeMessage, detail });
    return (await end(events.turnFailed(ctx, { errorCode: code, error, disclosure }), "FAILED")) ? "failed" : "abandoned";
  };

  // The agent is resolved once: an update or delete during the turn does not change it.
  const agent = await resolveAgent(deps, session);
  // The default agent offers the built-ins only; an agent, what its patterns select (MCP tools included).
  const offeredTools = () => (agent.id === null ? deps.tools.defaultTools() : deps.tools.select(agent.tools));
  await append([events.turnStarted(turn.id, input.id, agent.id), events.sessionActivated(turn.id, input.id)]);

  const model = await store.models.get(controls.model_id ?? agent.modelId ?? session.modelId ?? deps.defaultModelId);
  if (model) disclosure = effectiveDisclosure(controls.error_disclosure, lower(model.maxErrorDisclosure));
  const driver = model && deps.driverFor(model.provider);
  if (!model || !driver) return fail("model_unavailable", model ? `provider ${model.provider} is not configured` : "model not found");

  const history: NewMessage[] = [...(await store.system.historyBefore(input, deps.historyLimit)), input];
  const hints = { ...(isJsonObject(session.hints) ? session.hints : {}), ...(controls.hints ?? {}) };
  let writer: DeltaWriter | null = null;
  let stepMessageId: string | null = null;

  try {
    for (;;) {
      if (iterations >= agent.maxIterations) return fail("max_iterations", `stopped after ${iterations} model steps`);
      iterations += 1;
      stepMessageId = newId("message");
      const offered = offeredTools(); // per step: MCP servers come and go
      await append([events.outputMessageStarted(ctx, stepMessageId, model.name, iterations)]);
      writer = new DeltaWriter(store.log, sessionId, ctx, stepMessageId);
      const stepWriter = writer;
      const result = await driver
        .step(
          {
            model: model.name,
            history,
            tools: toolSpecs(offered),
            ...(agent.instructions ? { instructions: agent.instructions } : {}),
            ...(agent.name ? { agentName: agent.name } : {}),
            reasoningEffort: controls.reasoning?.effort as "low" | "medium" | "high" | undefined,
            maxTokens: controls.max_tokens,
            locale: controls.locale ?? session.locale ?? undefined,
            hints,
            loadImage: (id) => loadImage(store, session.ownerId, id),
            signal,
          },
          (delta) => stepWriter.push(delta),
        )
        .finally(() => stepWriter.flush());
      signal.throwIfAborted();

      const message = agentMessage(sessionId, stepMessageId, turn.id, stepWriter.text || result.text, result);
      await append([events.outputMessageCompleted(ctx, message, result.usage)]);
      writer = null;
      history.push(message);
      usage = addUsage(usage, result.usage);
      if (result.toolCalls.length === 0) {
        const done = await end(
          events.turnCompleted(ctx, { iterations, durationMs: Date.now() - startedAt, usage, finalMessageId: message.id }),
          "COMPLETED",
        );
        return done ? "completed" : "abandoned";
      }
      for (const call of result.toolCalls) {
        signal.throwIfAborted();
        await append([events.toolStarted(ctx, call)]);
        // Never throws; a cancel ends the call as error "cancelled", recorded before turn.cancelled.
        const outcome = await deps.tools.call(call.name, call.arguments as JsonObject, { signal, offered });
        const abort = signal.aborted ? (signal.reason as TurnAbort) : null;
        if (abort && abort.kind !== "cancel") throw abort; // shutdown or lost lease: write nothing, recovery closes the turn
        const [completed] = await append([
          events.toolCompleted(ctx, { messageId: newId("message"), toolCallId: call.id, toolName: call.name, ...outcome }),
        ]);
        history.push(messageFromEvent(completed!)!);
        signal.throwIfAborted();
      }
    }
  } catch (error) {
    const abort = signal.aborted ? (signal.reason as TurnAbort) : null;
    if (abort?.kind === "shutdown" || abort?.kind === "lease_lost") return "abandoned"; // closed as interrupted by recovery
    if (abort?.kind === "cancel") {
      // The partial answer is kept: the text streamed so far becomes the agent message.
      if (writer && stepMessageId && writer.text) {
        await writer.flush().catch(() => {});
        const partial = agentMessage(sessionId, stepMessageId, turn.id, writer.text, { toolCalls: [] });
        partial.metadata = { partial: true };
        await append([events.outputMessageCompleted(ctx, partial, zeroUsage())]);
      }
      return (await end(events.turnCancelled(ctx, abort.message), "CANCELLED")) ? "cancelled" : "abandoned";
    }
    if (error instanceof DriverError) return fail(error.code, error.detail, error.message);
    deps.logger.error({ err: error, turnId: turn.id, sessionId }, "turn failed unexpectedly");
    return fail("llm_error", (error as Error).message);
  }
}

function agentMessage(
  sessionId: string,
  id: string,
  turnId: string,
  text: string,
  result: { toolCalls: { id: string; name: string; arguments: Record<string, unknown> }[]; thinking?: string | null; thinkingSignature?: string | null },
): NewMessage {
  return newMessage({
    id,
    sessionId,
    role: "AGENT",
    content: [
      ...(text ? [{ type: "text" as const, text }] : []),
      ...result.toolCalls.map((c) => ({ type: "tool_call" as const, id: c.id, name: c.name, arguments: c.arguments as never })),
    ],
    phase: result.toolCalls.length > 0 ? "COMMENTARY" : "FINAL_ANSWER",
    thinking: result.thinking ?? null,
    thinkingSignature: result.thinkingSignature ?? null,
    turnId,
  });
}

/** The session's agent, or the default agent when it names none (or its agent was deleted). */
async function resolveAgent(deps: TurnDeps, session: { ownerId: string; agentId: string | null }): Promise<AgentSnapshot> {
  const stored = session.agentId ? await deps.store.agents.get(session.ownerId, session.agentId) : null;
  return stored ? agentSnapshot(stored) : defaultAgent(deps.maxIterations);
}

async function loadImage(store: Store, ownerId: string, imageId: string) {
  const image = await store.images.withBytes(ownerId, imageId);
  return image ? { mediaType: image.mediaType, bytes: image.bytes } : null;
}

const lower = (d: Model["maxErrorDisclosure"]) => d.toLowerCase() as Disclosure;
