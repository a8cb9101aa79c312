// Content parts, controls and external actors in their stored form, which is
// the REST shape of the seeds (snake_case, `type` discriminator). Message rows
// and event data hold this form; GraphQL maps it to camelCase field by field.

export type TextPart = { type: "text"; text: string };
export type ImagePart = { type: "image"; url?: string; base64?: string; media_type?: string };
export type ImageFilePart = { type: "image_file"; image_id: string; filename?: string };
export type ToolCallPart = { type: "tool_call"; id: string; name: string; arguments: JsonObject };
export type ToolResultContent = TextPart | ImagePart | ImageFilePart;
export type ToolResultPart = { type: "tool_result"; tool_call_id: string; content: ToolResultContent[]; is_error: boolean };
export type ContentPart = TextPart | ImagePart | ImageFilePart | ToolCallPart | ToolResultPart;
export type InputPart = TextPart | ImagePart | ImageFilePart;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type Disclosure = "generic" | "standard" | "detailed";

export interface StoredControls {
  model_id?: string;
  reasoning?: { effort?: string };
  error_disclosure?: Disclosure;
  hints?: JsonObject;
  locale?: string;
  max_tokens?: number;
  /** Client tools for this turn, merged over the agent's by name (SPEC §11). */
  client_tools?: { name: string; description: string | null; parameters: JsonObject }[];
  /** Server-tool patterns whose calls wait for a person's decision in this turn. */
  approval_required?: string[];
}

export interface StoredExternalActor {
  actor_id: string;
  actor_name?: string;
  metadata?: JsonObject;
  source?: string;
}

export const IMAGE_MEDIA_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The concatenated text parts of a message (what the model "said"). */
export const textOf = (parts: readonly ContentPart[]): string =>
  parts.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("");
