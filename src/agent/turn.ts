// One agent turn, in the order of SPEC §4: turn.started, session.activated,
// then model steps (started / deltas / completed) and their tool calls, until
// the model answers without tools or the iteration limit; then the turn's end
// event and session.idled, appended atomically with the Turn row's new status.
import { agentSnapshot, defaultAgent, type AgentSnapshot } from "../domain/agents.js";
import { waitKind, withTurnControls, type PendingKind, type ToolCall } from "../domain/pending-calls.js";
import { isJsonObject, type Disclosure, type JsonObject } from "../domain/content.js";
import { addUsage, events, zeroUsage, type NewEvent, type TurnErrorCode, type Usage } from "../domain/events.js";
import { discloseError, effectiveDisclosure } from "../domain/disclosure.js";
import { messageFromEvent, newMessage, type Message, type NewMessage } from "../domain/messages.js";
import { newId } from "../ids.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/index.js";
import type { ClaimedTurn } from "../store/turns.js";
import type { Model } from "../store/models.js";
import { DeltaWriter } from "./delta-writer.js";
import { DriverError, type AgentDriver, type StepContinuation } from "./drivers/driver.js";
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
  /** TOOL_WAIT_TIMEOUT_MS: how long a client-tool or approval call waits (SPEC §11). */
  toolWaitMs: number;
}

/** "waiting": the turn let go of its lease until its waiting calls are answered (it resumes as a new claim). */
export type TurnOutcome = "completed" | "failed" | "cancelled" | "abandoned" | "waiting";

const SAFE_MESSAGES: Record<TurnErrorCode, string> = {
  llm_error: "The model provider returned an error.",
  max_iterations: "The agent reached its iteration limit without a final answer.",
  interrupted: "The turn was interrupted by a server restart.",
  tool_error: "A tool failed.",
  model_unavailable: "The requested model is not available on this server.",
};

export interface TurnResult {
  outcome: TurnOutcome;
  /**
   * The turn's end found nothing to run next: no other turn was queued at its
   * claim and no user message was logged since (read under the session's row
   * lock by the end's own statement), so the runner need not look.
   */
  nothingQueued: boolean;
}

export async function runTurn(deps: TurnDeps, turn: ClaimedTurn, signal: AbortSignal): Promise<TurnResult> {
  const ended = { nothingQueued: false };
  const outcome = await turnOutcome(deps, turn, signal, ended);
  return { outcome, nothingQueued: ended.nothingQueued };
}

async function turnOutcome(deps: TurnDeps, turn: ClaimedTurn, signal: AbortSignal, ended: { nothingQueued: boolean }): Promise<TurnOutcome> {
  const { store } = deps;
  // The claim read the turn's input and session (a turn acts for no caller).
  const { input, session } = turn;
  if (!input || !session) return "abandoned"; // the session was deleted meanwhile
  const sessionId = session.id;
  const controls = input.controls ?? {};
  const ctx = { turnId: turn.id, inputMessageId: input.id };
  // turn.started and session.activated go out with the turn's first append (its
  // first step's output.message.started, or its end): one statement fewer.
  let starting: NewEvent[] = [];
  /** Appends `e` after turn.started and session.activated if they are not logged yet; answers what `e` became. */
  const appendWithStart = async (e: NewEvent[], options?: Parameters<typeof store.log.append>[2]) => {
    const { stored, marks } = await store.log.appendReading(sessionId, [...starting, ...e], options);
    if (stored.length > 0) starting = [];
    return { stored: stored.slice(stored.length - e.length), marks };
  };
  const append = async (e: NewEvent[]) => (await appendWithStart(e)).stored;
  const startedAt = Date.now();
  let usage: Usage = zeroUsage();
  let iterations = 0;
  let disclosure: Disclosure = effectiveDisclosure(controls.error_disclosure, "standard");

  /** Ends the turn with `last` and session.idled (after `leading`, in the same statement); false if it was not ours to end. */
  const end = async (last: NewEvent, status: "COMPLETED" | "FAILED" | "CANCELLED", unlessSteered = false, leading: NewEvent[] = []): Promise<boolean> => {
    const idled = events.sessionIdled(ctx, iterations, usage);
    const appended = await appendWithStart([...leading, last, idled], { endTurn: { id: turn.id, status, leaseOwner: deps.leaseOwner, unlessSteered } });
    if (appended.marks) ended.nothingQueued = !turn.othersQueued && appended.marks.lastInputSequence === session.lastInputSequence;
    return appended.stored.length > 0;
  };
  const fail = async (code: TurnErrorCode, detail?: string | null, safeMessage = SAFE_MESSAGES[code]) => {
    const error = discloseError(disclosure, { code, safeMessage, detail });
    return (await end(events.turnFailed(ctx, { errorCode: code, error, disclosure }), "FAILED")) ? "failed" : "abandoned";
  };

  // The agent is resolved once, at turn.started: an update or delete during the turn (or its waits) does not change it.
  const resuming = turn.resuming && turn.agent !== null;
  // The session's agent came with the claim; one it names that is gone means the default agent.
  const agent = resuming
    ? (turn.agent as unknown as AgentSnapshot)
    : withTurnControls(turn.sessionAgent ? agentSnapshot(turn.sessionAgent) : defaultAgent(deps.maxIterations), controls);
  // The default agent offers the built-ins only; an agent, what its patterns select (MCP tools included).
  // Asked per step: MCP servers come and go.
  const offeredTools = () => (agent.id === null ? deps.tools.defaultTools() : deps.tools.select(agent.tools));
  const clientTools = agent.clientTools.map((t) => ({ name: t.name, description: t.description ?? "", parameters: t.parameters }));
  // The snapshot is kept on the Turn row only when the turn first waits: only a resumed turn reads it.
  let snapshotSaved = resuming;
  if (resuming) {
    ({ iterations, usage } = await store.pendingCalls.progress(sessionId, turn.id));
  } else {
    starting = [events.turnStarted(turn.id, input.id, agent.id), events.sessionActivated(turn.id, input.id)];
  }

  // The claim brought every model this can pick.
  const modelId = controls.model_id ?? agent.modelId ?? session.modelId ?? deps.defaultModelId;
  const model = turn.models.find((m) => m.id === modelId);
  if (model) disclosure = effectiveDisclosure(controls.error_disclosure, lower(model.maxErrorDisclosure));
  const driver = model && deps.driverFor(model.provider);
  if (!model || !driver) return fail("model_unavailable", model ? `provider ${model.provider} is not configured` : "model not found");

  // The claim read the history before the input; a turn that never waited has taken in no STEER message yet.
  let history = conversation(turn.history, input, turn.id, turn.resuming ? await store.system.turns.steeredInto(turn.id) : []);
  /**
   * STEER messages logged before this step began join its history, after the
   * last step's tool results (SPEC §11). The step's start answers the newest
   * STEER's sequence, so the step looks only when one came since the last
   * look. A STEER into this turn is logged after its claim, so a fresh turn
   * starts from the claim's value; a resumed one looks at once (some may have
   * come while it waited).
   */
  let steersLookedThrough = turn.resuming ? -1 : session.lastSteerSequence;
  const takeSteered = async (stepStarted: number, lastSteerSequence: number) => {
    if (lastSteerSequence <= steersLookedThrough) return;
    history.push(...(await store.system.turns.takeSteered(turn.id, deps.leaseOwner, stepStarted)));
    steersLookedThrough = lastSteerSequence;
  };
  const hints = { ...(isJsonObject(session.hints) ? session.hints : {}), ...(controls.hints ?? {}) };
  let writer: DeltaWriter | null = null;
  let stepMessageId: string | null = null;
  // An upstream agent's run that goes on after a step (it ran that step's tools itself).
  let continuation: StepContinuation | undefined;

  /** Runs an offered server tool; never throws, but a shutdown or a lost lease stops the turn before anything is written. */
  const runServerTool = async (call: ToolCall, offered = offeredTools()) => {
    const outcome = await deps.tools.call(call.name, call.arguments as JsonObject, { signal, offered });
    const abort = signal.aborted ? (signal.reason as TurnAbort) : null;
    if (abort && abort.kind !== "cancel") throw abort; // recovery closes the turn (an approved call as interrupted)
    return outcome;
  };

  /** After a wait: approved tools run (each at most once), then turn.resumed; the history is rebuilt from the log. */
  const resume = async () => {
    for (const call of await store.pendingCalls.approved(turn.id)) {
      signal.throwIfAborted();
      if (!(await store.pendingCalls.start(sessionId, ctx, call.toolCall))) continue;
      const outcome = await runServerTool(call.toolCall);
      const moved = await store.pendingCalls.settle(sessionId, [
        { call, from: ["RUNNING"], to: "ENDED", answer: call.answer, outcome: "answered", completed: outcome },
      ]);
      if (moved === "raced") throw new TurnAbort("lease_lost", "the approved call was ended elsewhere");
    }
    await append([events.turnResumed(ctx)]);
    history = await loadHistory(store, input, turn.id, deps.historyLimit);
  };

  try {
    if (resuming) await resume();
    for (;;) {
      if (iterations >= agent.maxIterations) return fail("max_iterations", `stopped after ${iterations} model steps`);
      iterations += 1;
      stepMessageId = newId("message");
      const offered = offeredTools(); // per step: MCP servers come and go
      const step = await appendWithStart([events.outputMessageStarted(ctx, stepMessageId, model.name, iterations)]);
      await takeSteered(step.stored[0]!.sequence, step.marks!.lastSteerSequence);
      writer = new DeltaWriter(store.log, sessionId, ctx, stepMessageId);
      const stepWriter = writer;
      const result = await driver
        .step(
          {
            sessionId,
            model: model.name,
            history,
            inputMessageId: input.id,
            tools: [...toolSpecs(offered), ...clientTools],
            ...(agent.instructions ? { instructions: agent.instructions } : {}),
            ...(agent.name ? { agentName: agent.name } : {}),
            reasoningEffort: controls.reasoning?.effort as "low" | "medium" | "high" | undefined,
            maxTokens: controls.max_tokens,
            locale: controls.locale ?? session.locale ?? undefined,
            hints,
            loadImage: (id) => loadImage(store, session.ownerId, id),
            ...(continuation ? { continuation } : {}),
            signal,
          },
          (delta) => stepWriter.push(delta),
        );
      continuation = result.continuation;
      signal.throwIfAborted(); // a cancelled step's deltas are flushed below, with its partial answer

      // The deltas not written yet go in the statement that logs the step's completion, ahead of it.
      const unwritten = await stepWriter.handOver();
      const message = agentMessage(sessionId, stepMessageId, turn.id, stepWriter.text || result.text, result);
      const completed = [...unwritten, events.outputMessageCompleted(ctx, message, result.usage)];
      writer = null;
      usage = addUsage(usage, result.usage);
      if (result.toolCalls.length === 0) {
        // The final answer goes out with the turn's end, in one statement. A STEER message no
        // step has seen yet gets one more step, if the limit allows; else it runs as its own turn next.
        const roomForMore = iterations < agent.maxIterations;
        const turnCompleted = events.turnCompleted(ctx, { iterations, durationMs: Date.now() - startedAt, usage, finalMessageId: message.id });
        if (await end(turnCompleted, "COMPLETED", roomForMore, completed)) return "completed";
        if (!roomForMore || !(await store.system.turns.hasSteeredWaiting(turn.id))) return "abandoned";
        await append(completed); // this step's answer, then the step for the steered message
        history.push(message);
        continue;
      }
      await append(completed);
      history.push(message);
      // Calls that wait get their tool.call_requested first (in call order); the others run now.
      // A call the provider already ran (an upstream agent's own tool) never waits.
      const waiting = result.toolCalls.flatMap((call) => {
        const kind: PendingKind | null = call.result ? null : waitKind(agent, new Set(offered.map((t) => t.name)), call.name);
        return kind ? [{ toolCall: call as ToolCall, kind }] : [];
      });
      if (waiting.length > 0) {
        if (!snapshotSaved) await store.system.turns.saveAgent(turn.id, agent);
        snapshotSaved = true;
        await store.pendingCalls.request(sessionId, ctx, waiting, deps.toolWaitMs);
      }
      for (const call of result.toolCalls) {
        if (waiting.some((w) => w.toolCall.id === call.id)) continue;
        signal.throwIfAborted();
        await append([events.toolStarted(ctx, { id: call.id, name: call.name, arguments: call.arguments })]);
        // A cancel ends the call as error "cancelled", recorded before turn.cancelled.
        const outcome = call.result ?? (await runServerTool(call as ToolCall, offered));
        const [completed] = await append([
          events.toolCompleted(ctx, { messageId: newId("message"), toolCallId: call.id, toolName: call.name, ...outcome }),
        ]);
        history.push(messageFromEvent(completed!)!);
        signal.throwIfAborted();
      }
      if (waiting.length > 0) {
        const wait = await store.pendingCalls.beginWait(turn.id, sessionId, deps.leaseOwner);
        if (wait === "waiting") return "waiting";
        if (wait === "lost") return "abandoned";
        await resume(); // every call was answered while the step's server tools ran
      }
    }
  } catch (error) {
    // A step cut short: the deltas it streamed are stored before anything else is logged.
    await writer?.flush().catch(() => {});
    const abort = signal.aborted ? (signal.reason as TurnAbort) : null;
    if (abort?.kind === "shutdown" || abort?.kind === "lease_lost") return "abandoned"; // closed as interrupted by recovery
    if (abort?.kind === "cancel") {
      // The partial answer is kept: the text streamed so far becomes the agent message.
      if (writer && stepMessageId && writer.text) {
        const partial = agentMessage(sessionId, stepMessageId, turn.id, writer.text, { toolCalls: [] });
        partial.metadata = { partial: true };
        await append([events.outputMessageCompleted(ctx, partial, zeroUsage())]);
      }
      if (await store.pendingCalls.hasOpen(turn.id)) {
        // Calls still waiting or approved end as `cancelled` before turn.cancelled.
        const trailing = [events.turnCancelled(ctx, abort.message), events.sessionIdled(ctx, iterations, usage)];
        const ended = await store.pendingCalls.endRunningTurn(sessionId, ctx, "cancelled", trailing, { status: "CANCELLED", leaseOwner: deps.leaseOwner });
        return ended.length > 0 ? "cancelled" : "abandoned";
      }
      return (await end(events.turnCancelled(ctx, abort.message), "CANCELLED")) ? "cancelled" : "abandoned";
    }
    if (error instanceof DriverError) return fail(error.code, error.detail, error.message);
    deps.logger.error({ err: error, turnId: turn.id, sessionId }, "turn failed unexpectedly");
    return fail("llm_error", (error as Error).message);
  } finally {
    continuation?.close();
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

/** After a wait: the conversation rebuilt from the log, the STEER messages its steps took in included. */
async function loadHistory(store: Store, input: Message, turnId: string, limit: number): Promise<NewMessage[]> {
  const [messages, steered] = await Promise.all([store.system.historyBefore(input, limit), store.system.turns.steeredInto(turnId)]);
  return conversation(messages, input, turnId, steered);
}

/**
 * The conversation a step sees: earlier messages (historyBeforeSql), then
 * this turn's input, then what this turn has said and got so far (a resumed
 * turn's, from the log) with the STEER messages its steps took in.
 */
function conversation(before: readonly Message[], input: Message, turnId: string, steered: readonly (Message & { seenBy: string | null })[]): NewMessage[] {
  const ours = (m: Message) => m.turnId === turnId && m.role !== "USER";
  return [...before.filter((m) => !ours(m)), input, ...withSteered(before.filter(ours), steered)];
}

/** The turn's own messages with each STEER message it took in placed just before the agent message of the step that first saw it. */
export function withSteered(own: readonly Message[], steered: readonly (Message & { seenBy: string | null })[]): Message[] {
  const out: Message[] = [];
  const before = (id: string) => steered.filter((s) => s.seenBy === id).map(({ seenBy: _, ...m }) => m);
  for (const m of own) out.push(...before(m.id), m);
  const placed = new Set(out.map((m) => m.id));
  out.push(...steered.filter((s) => !placed.has(s.id)).map(({ seenBy: _, ...m }) => m));
  return out;
}

async function loadImage(store: Store, ownerId: string, imageId: string) {
  const image = await store.images.withBytes(ownerId, imageId);
  return image ? { mediaType: image.mediaType, bytes: image.bytes } : null;
}

const lower = (d: Model["maxErrorDisclosure"]) => d.toLowerCase() as Disclosure;
