// The `agui` driver (SPEC §13, "Upstream agents"): each turn goes to an
// external AG-UI agent server (LangGraph, Mastra, CrewAI, Pydantic AI…).
// A model step POSTs the history as a RunAgentInput (a new runId per request)
// and reads the run's events: text → deltas, TOOL_CALL_START/ARGS/END → tool
// calls. A call the upstream runs itself comes back as TOOL_CALL_RESULT: the
// step ends there with that result attached (Parley records it, never runs
// it) and the same run goes on as the next step. Calls still without a result
// at RUN_FINISHED are Parley's to run (server tools) or to wait for (client
// tools); their results go up in the next request.
import { randomUUID } from "node:crypto";
import { EventType, type BaseEvent, type Event as AguiEvent, type ToolCallResultEvent } from "@ag-ui/core";
import { IMAGE_MEDIA_TYPES, isJsonObject, type JsonObject, type ToolResultContent } from "../../domain/content.js";
import { jsonBoundsViolation } from "../../domain/json-bounds.js";
import type { Usage } from "../../domain/events.js";
import type { ToolOutcome } from "../tools/catalog.js";
import { toRunAgentInput } from "./agui-input.js";
import { UpstreamRun, type UpstreamOptions } from "./agui-run.js";
import { DriverError, type AgentDriver, type StepRequest, type StepResult, type StepToolCall } from "./driver.js";

export type AguiDriverOptions = UpstreamOptions;

export function createAguiDriver(options: AguiDriverOptions): AgentDriver {
  return {
    name: "agui",
    async step(request, onTextDelta) {
      const run = continued(request) ?? new UpstreamRun(options, await toRunAgentInput(request, randomUUID()), request.signal);
      try {
        return await readStep(run, onTextDelta);
      } catch (error) {
        run.close();
        throw error;
      }
    },
  };
}

/**
 * The previous step's run, if it may go on: a user message it was not sent
 * (a steered one) needs a new request that includes it.
 */
function continued(request: StepRequest): UpstreamRun | null {
  const run = request.continuation;
  if (!(run instanceof UpstreamRun)) return null;
  const sent = new Set(run.input.messages.filter((m) => m.role === "user").map((m) => m.id));
  if (request.history.some((m) => m.role === "USER" && !sent.has(m.id))) {
    run.close();
    return null;
  }
  return run;
}

/** Events up to the end of one Parley step: the results of all its calls (the run goes on), RUN_FINISHED, or RUN_ERROR. */
async function readStep(run: UpstreamRun, onTextDelta: (delta: string) => void): Promise<StepResult> {
  let text = "";
  let thinking = "";
  const calls = new Map<string, { name: string; args: string; result?: ToolOutcome }>();

  const result = (usage: Usage, goesOn: boolean): StepResult => ({
    text,
    toolCalls: [...calls].map(([id, call]) => toolCall(id, call)),
    thinking: thinking || null,
    usage,
    ...(goesOn ? { continuation: run } : {}),
  });

  for (;;) {
    const event = (await run.next()) as BaseEvent as AguiEvent;
    switch (event.type) {
      case EventType.TEXT_MESSAGE_CONTENT:
        if (event.delta) {
          text += event.delta;
          onTextDelta(event.delta);
        }
        break;
      case EventType.REASONING_MESSAGE_CONTENT:
        thinking += event.delta;
        break;
      case EventType.TOOL_CALL_START:
        calls.set(event.toolCallId, { name: event.toolCallName, args: "" });
        break;
      case EventType.TOOL_CALL_ARGS: {
        const call = calls.get(event.toolCallId);
        if (call) call.args += event.delta;
        break;
      }
      case EventType.TOOL_CALL_RESULT: {
        const call = calls.get(event.toolCallId);
        if (!call) break; // a result for a call this step never saw: nothing to attach it to
        call.result = { status: "success", result: resultContent(event.content), error: null };
        // The upstream ran every call of this step: the step ends here, and the run goes on as the next one.
        if ([...calls.values()].every((c) => c.result)) return result(zero(), true);
        break;
      }
      case EventType.RUN_FINISHED: {
        run.close();
        const outcome = event.outcome?.type;
        if (outcome === "interrupt" || outcome === "cancelled") {
          throw new DriverError(`The upstream agent ended its run as ${outcome}, which Parley cannot continue.`, JSON.stringify(event.outcome).slice(0, 1000));
        }
        return result(usageOf(event.usage), false);
      }
      case EventType.RUN_ERROR:
        run.close();
        throw new DriverError("The upstream agent reported an error.", event.code ? `${event.code}: ${event.message}` : event.message);
      default:
        break; // state, steps, activity, custom and raw events do not change the conversation
    }
  }
}

function toolCall(id: string, call: { name: string; args: string; result?: ToolOutcome }): StepToolCall {
  let args: unknown = {};
  try {
    args = call.args.trim() === "" ? {} : JSON.parse(call.args);
  } catch {
    args = {}; // as for the other drivers: unparsable arguments reach the tool as {}
  }
  // Arguments are stored in the log like client input, under the same bounds.
  const violation = jsonBoundsViolation(args);
  if (violation) throw new DriverError("The upstream agent sent tool arguments Parley cannot store.", `arguments of ${call.name} ${violation}`);
  return { id, name: call.name, arguments: isJsonObject(args) ? (args as JsonObject) : {}, ...(call.result ? { result: call.result } : {}) };
}

/** A TOOL_CALL_RESULT's content as stored parts: text as text, images (data or URL) as images, other media as a placeholder. */
function resultContent(content: ToolCallResultEvent["content"]): ToolResultContent[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return content.map((part): ToolResultContent => {
    if (part.type === "text") return { type: "text", text: part.text };
    if (part.type === "image" && part.source.type === "data" && (IMAGE_MEDIA_TYPES as readonly string[]).includes(part.source.mimeType)) {
      return { type: "image", base64: part.source.value, media_type: part.source.mimeType };
    }
    if (part.type === "image" && part.source.type === "url") return { type: "image", url: part.source.value };
    return { type: "text", text: `[${part.type}, not shown]` };
  });
}

const zero = (): Usage => ({ input_tokens: 0, output_tokens: 0 });

/** RUN_FINISHED's usage entries (one per model the upstream called), summed. */
function usageOf(entries: { inputTokens?: number; outputTokens?: number }[] | undefined): Usage {
  const usage = zero();
  for (const entry of entries ?? []) {
    usage.input_tokens += entry.inputTokens ?? 0;
    usage.output_tokens += entry.outputTokens ?? 0;
  }
  return usage;
}
