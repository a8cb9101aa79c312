// What a tool call gives back, and how an MCP `tools/call` result becomes
// Parley content parts (SPEC §10): text → text, image → image (base64, in the
// stored/REST shape), anything else → a text rendering the model can read.
import { IMAGE_MEDIA_TYPES, type ToolResultContent } from "../../../domain/content.js";

/** The outcome of one server-tool call, as `tool.completed` carries it. */
export interface ToolOutcome {
  status: "success" | "error";
  result: ToolResultContent[];
  /** A short reason when status is error (`timeout`, `cancelled`, or a message). */
  error: string | null;
}

export const succeeded = (result: ToolResultContent[]): ToolOutcome => ({ status: "success", result, error: null });

/** An error outcome whose text tells the model what went wrong. */
export const failed = (error: string, text = error): ToolOutcome => ({ status: "error", result: [{ type: "text", text }], error });

type McpBlock = { type?: unknown; [key: string]: unknown };

export function mapMcpResult(raw: unknown): ToolOutcome {
  const result = (raw ?? {}) as { content?: unknown; structuredContent?: unknown; toolResult?: unknown; isError?: unknown };
  const blocks = Array.isArray(result.content) ? (result.content as McpBlock[]) : [];
  let parts = blocks.map(mapBlock);
  // A result with only structured output (or a pre-2024-11 `toolResult`) still says something.
  if (parts.length === 0 && result.structuredContent !== undefined) parts = [{ type: "text", text: JSON.stringify(result.structuredContent) }];
  if (parts.length === 0 && result.toolResult !== undefined) parts = [{ type: "text", text: renderValue(result.toolResult) }];
  if (result.isError === true) {
    const message = parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n").trim();
    return { status: "error", result: parts.length > 0 ? parts : [{ type: "text", text: "the tool reported an error" }], error: truncate(message || "the tool reported an error", 500) };
  }
  return succeeded(parts);
}

function mapBlock(block: McpBlock): ToolResultContent {
  switch (block.type) {
    case "text":
      return { type: "text", text: String(block.text ?? "") };
    case "image": {
      const mediaType = String(block.mimeType ?? "");
      if ((IMAGE_MEDIA_TYPES as readonly string[]).includes(mediaType) && typeof block.data === "string")
        return { type: "image", base64: block.data, media_type: mediaType };
      return { type: "text", text: `[image ${mediaType || "of unknown type"}, not shown]` };
    }
    case "audio":
      return { type: "text", text: `[audio ${String(block.mimeType ?? "of unknown type")}, not shown]` };
    case "resource_link":
      return { type: "text", text: `[resource ${String(block.uri ?? "")}${block.name ? ` (${String(block.name)})` : ""}]` };
    case "resource": {
      const resource = (block.resource ?? {}) as { uri?: unknown; text?: unknown; mimeType?: unknown };
      if (typeof resource.text === "string") return { type: "text", text: resource.text };
      return { type: "text", text: `[resource ${String(resource.uri ?? "")}${resource.mimeType ? ` (${String(resource.mimeType)})` : ""}, binary, not shown]` };
    }
    default:
      return { type: "text", text: renderValue(block) };
  }
}

const renderValue = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));
const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
