// A real AG-UI agent server for the `agui` driver's tests: node:http, every
// request body checked with @ag-ui/core's RunAgentInputSchema (400 otherwise),
// answers in AG-UI events written by @ag-ui/encoder's EventEncoder. Its
// "model" is a small script keyed on the newest message:
//   a tool message               → "The upstream got: <result>." (the answer to a call it asked for)
//   "weather in <city>"          → it runs its own get_weather tool (TOOL_CALL_* then TOOL_CALL_RESULT), then answers
//   "weather in <city>, slowly"  → the same, but after the result it sends a CUSTOM heartbeat every 100 ms for 20 s first
//   "calculate <expression>"     → asks for Parley's `calculator` (a call without a result, then RUN_FINISHED)
//   "pick a color"               → asks for the frontend's `pick_color` (a client tool)
//   "fail"                       → RUN_ERROR
//   "slow"                       → a long answer, one word every 50 ms (to cancel it)
//   "hang"                       → never answers (no headers)
//   "stall"                      → RUN_STARTED, one delta, then silence
//   anything else                → "Upstream heard: <text>" in deltas of two words
// A call it asks for is only made when the request offered that tool.
import { randomUUID } from "node:crypto";
import { EventType, type BaseEvent, type Message, type RunAgentInput } from "@ag-ui/core";
import { RunAgentInputSchema } from "@ag-ui/core/schemas";
import { EventEncoder } from "@ag-ui/encoder";
import { fakeServer, type FakeServer } from "./fake-provider.js";

export interface AguiAgent {
  /** The agent's run endpoint (AGUI_AGENT_URL). */
  url: string;
  server: FakeServer;
  /** Every RunAgentInput received, in order. */
  inputs: RunAgentInput[];
}

export const WEATHER_RESULT = (city: string) => `Sunny, 21 °C in ${city}`;

export async function startAguiAgent(): Promise<AguiAgent> {
  const inputs: RunAgentInput[] = [];
  const server = await fakeServer(async (req, res, body) => {
    const parsed = RunAgentInputSchema.safeParse(body);
    if (!parsed.success) {
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: parsed.error.message }));
      return;
    }
    const input = parsed.data as RunAgentInput;
    inputs.push(input);
    const last = input.messages.at(-1);
    if (last?.role === "user" && textOf(last) === "hang") return; // the connection stays open, unanswered

    const encoder = new EventEncoder({ accept: req.headers.accept });
    res.writeHead(200, { "content-type": encoder.getContentType(), "cache-control": "no-cache" });
    let open = true;
    res.on("close", () => (open = false));
    const emit = (event: BaseEvent & Record<string, unknown>) => {
      if (open) res.write(encoder.encode(event));
    };
    await respond(input, emit, () => open);
    if (open) res.end();
  });
  return { url: `${server.baseURL}/agent`, server, inputs };
}

type Emit = (event: BaseEvent & Record<string, unknown>) => void;

async function respond(input: RunAgentInput, emit: Emit, open: () => boolean): Promise<void> {
  const { threadId, runId } = input;
  const last = input.messages.at(-1);
  emit({ type: EventType.RUN_STARTED, threadId, runId });
  const finish = () => emit({ type: EventType.RUN_FINISHED, threadId, runId, outcome: { type: "success" }, usage: [{ inputTokens: 11, outputTokens: 5 }] });

  if (last?.role === "tool") {
    await say(emit, `The upstream got: ${textOf(last)}.`);
    return finish();
  }
  const text = last ? textOf(last) : "";
  const offered = new Set(input.tools.map((t) => t.name));
  let match: RegExpExecArray | null;

  if (text === "fail") {
    emit({ type: EventType.RUN_ERROR, message: "the graph exploded at node 7", code: "GRAPH_ERROR" });
    return;
  }
  if (text === "stall") {
    await say(emit, "Thinking");
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => !open() && (clearInterval(poll), resolve()), 20);
    });
    return;
  }
  if (text === "slow") {
    const messageId = randomUUID();
    emit({ type: EventType.TEXT_MESSAGE_START, messageId, role: "assistant" });
    for (let i = 0; i < 400 && open(); i++) {
      emit({ type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta: `word${i} ` });
      await new Promise((r) => setTimeout(r, 50));
    }
    emit({ type: EventType.TEXT_MESSAGE_END, messageId });
    return finish();
  }
  if ((match = /^weather in (\w+)(, slowly)?$/.exec(text))) {
    const city = match[1]!;
    const messageId = await say(emit, "Let me look that up.");
    const toolCallId = `up_${randomUUID()}`;
    emit({ type: EventType.TOOL_CALL_START, toolCallId, toolCallName: "get_weather", parentMessageId: messageId });
    emit({ type: EventType.TOOL_CALL_ARGS, toolCallId, delta: '{"city":' });
    emit({ type: EventType.TOOL_CALL_ARGS, toolCallId, delta: JSON.stringify(city) + "}" });
    emit({ type: EventType.TOOL_CALL_END, toolCallId });
    emit({ type: EventType.TOOL_CALL_RESULT, messageId: randomUUID(), toolCallId, content: WEATHER_RESULT(city), role: "tool" });
    for (let i = 0; match[2] && i < 200 && open(); i++) {
      emit({ type: EventType.CUSTOM, name: "heartbeat", value: i });
      await new Promise((r) => setTimeout(r, 100));
    }
    await say(emit, `It is sunny in ${city}.`);
    return finish();
  }
  if ((match = /^calculate (.+)$/.exec(text)) && offered.has("calculator")) {
    askFor(emit, "calculator", { expression: match[1]! });
    return finish();
  }
  if (text === "pick a color" && offered.has("pick_color")) {
    askFor(emit, "pick_color", { options: ["teal", "amber"] });
    return finish();
  }
  await say(emit, `Upstream heard: ${text}`);
  finish();
}

/** One assistant text message, two words per TEXT_MESSAGE_CONTENT; returns its id. */
async function say(emit: Emit, text: string): Promise<string> {
  const messageId = randomUUID();
  emit({ type: EventType.TEXT_MESSAGE_START, messageId, role: "assistant" });
  const words = text.match(/\S+\s*/g) ?? [];
  for (let i = 0; i < words.length; i += 2) {
    emit({ type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta: words.slice(i, i + 2).join("") });
    await new Promise((r) => setImmediate(r)); // separate writes, so deltas arrive as they are produced
  }
  emit({ type: EventType.TEXT_MESSAGE_END, messageId });
  return messageId;
}

/** A call for the caller to run: TOOL_CALL_START/ARGS/END and no result. */
function askFor(emit: Emit, name: string, args: Record<string, unknown>) {
  const toolCallId = `up_${randomUUID()}`;
  emit({ type: EventType.TOOL_CALL_START, toolCallId, toolCallName: name });
  emit({ type: EventType.TOOL_CALL_ARGS, toolCallId, delta: JSON.stringify(args) });
  emit({ type: EventType.TOOL_CALL_END, toolCallId });
}

function textOf(message: Message): string {
  const content = (message as { content?: unknown }).content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.flatMap((p: { type: string; text?: string }) => (p.type === "text" ? [p.text ?? ""] : [])).join("\n");
  return "";
}
