// What Parley POSTs to an upstream AG-UI agent for one model step: the
// session's history as a RunAgentInput (SPEC §13, "Upstream agents").
// Message ids are Parley's own, so the upstream can match what it has seen;
// every tool call is followed by its result (by id, as the other drivers pair
// them), and the agent's instructions, locale and hints lead as one system message.
import type {
  AssistantMessage,
  ContentPart as AguiPart,
  Message as AguiMessage,
  RunAgentInput,
  ToolMessage,
} from "@ag-ui/core";
import type { ContentPart, ImagePart, ToolCallPart, ToolResultContent } from "../../domain/content.js";
import type { StepRequest } from "./driver.js";
import { MISSING_RESULT, buildSystemPrompt } from "./history.js";

/** The id of the system message carrying the agent's instructions (it is not a stored message). */
export const INSTRUCTIONS_MESSAGE_ID = "parley_instructions";
const IMAGE_UNAVAILABLE = "[image unavailable]";

export async function toRunAgentInput(request: StepRequest, runId: string): Promise<RunAgentInput> {
  const results = new Map<string, { messageId: string; content: ToolResultContent[]; isError: boolean }>();
  for (const message of request.history) {
    for (const part of message.content) {
      if (part.type === "tool_result") results.set(part.tool_call_id, { messageId: message.id, content: part.content, isError: part.is_error });
    }
  }

  const messages: AguiMessage[] = [];
  const system = buildSystemPrompt({ locale: request.locale, hints: request.hints, instructions: request.instructions ? [request.instructions] : [] });
  if (system) messages.push({ id: INSTRUCTIONS_MESSAGE_ID, role: "system", content: system });

  for (const message of request.history) {
    switch (message.role) {
      case "SYSTEM": {
        const text = textOf(message.content);
        if (text) messages.push({ id: message.id, role: "system", content: text });
        break;
      }
      case "USER": {
        const content = await userContent(message.content, request.loadImage);
        if (content.length > 0) messages.push({ id: message.id, role: "user", content: content.every(isText) ? textOf(message.content) : content });
        break;
      }
      case "AGENT": {
        const calls = message.content.filter((p): p is ToolCallPart => p.type === "tool_call");
        const text = textOf(message.content);
        if (!text && calls.length === 0) break; // an empty partial answer says nothing
        const assistant: AssistantMessage = { id: message.id, role: "assistant" };
        if (text) assistant.content = text;
        if (calls.length > 0) {
          assistant.toolCalls = calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
        }
        messages.push(assistant);
        for (const call of calls) messages.push(await toolMessage(call, results.get(call.id), request.loadImage));
        break;
      }
      case "TOOL_RESULT":
        break; // placed right after its call
    }
  }

  return {
    threadId: request.sessionId,
    runId,
    messages,
    tools: request.tools.map((t) => ({ name: t.name, description: t.description ?? "", parameters: t.parameters })),
    context: [],
    state: {},
    forwardedProps: {},
  };
}

async function toolMessage(
  call: ToolCallPart,
  result: { messageId: string; content: ToolResultContent[]; isError: boolean } | undefined,
  loadImage: StepRequest["loadImage"],
): Promise<ToolMessage> {
  // A call without a stored result (cancelled, or the process died) still gets an answer, as upstream models require.
  if (!result) return { id: `${call.id}_missing`, role: "tool", toolCallId: call.id, content: MISSING_RESULT, error: MISSING_RESULT };
  const parts = await userContent(result.content, loadImage);
  const text = textOf(result.content);
  return {
    id: result.messageId,
    role: "tool",
    toolCallId: call.id,
    content: parts.every(isText) ? text : parts,
    ...(result.isError ? { error: text || "the tool failed" } : {}),
  };
}

/** Text and images as AG-UI content parts: base64 and uploaded images as data sources, http(s) URLs as URL sources. */
async function userContent(parts: readonly ContentPart[], loadImage: StepRequest["loadImage"]): Promise<AguiPart[]> {
  const content: AguiPart[] = [];
  for (const part of parts) {
    if (part.type === "text") content.push({ type: "text", text: part.text });
    else if (part.type === "image") content.push(imagePart(part));
    else if (part.type === "image_file") {
      const image = await loadImage(part.image_id);
      content.push(
        image
          ? { type: "image", source: { type: "data", value: Buffer.from(image.bytes).toString("base64"), mimeType: image.mediaType } }
          : { type: "text", text: IMAGE_UNAVAILABLE },
      );
    }
  }
  return content;
}

function imagePart(part: ImagePart): AguiPart {
  if (part.base64 !== undefined) return { type: "image", source: { type: "data", value: part.base64, mimeType: part.media_type ?? "image/png" } };
  const url = part.url ?? "";
  const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (dataUrl) return { type: "image", source: { type: "data", value: dataUrl[2]!, mimeType: dataUrl[1]! } };
  return { type: "image", source: { type: "url", value: url, ...(part.media_type ? { mimeType: part.media_type } : {}) } };
}

const isText = (part: AguiPart) => part.type === "text";

const textOf = (parts: readonly (ContentPart | ToolResultContent)[]) =>
  parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");

