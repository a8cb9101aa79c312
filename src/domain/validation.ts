// Input validation for messages and sessions (SPEC §3). Transport-neutral:
// GraphQL and REST both convert their input into these camelCase shapes (content
// parts already in stored shape) and get back normalized stored values, or an
// AppError naming the offending field. Every field is typed loosely because
// REST passes parsed JSON through after a key rename: a wrong JSON type must be
// VALIDATION_FAILED, never a crash.
import { validation } from "../errors.js";
import { parseId } from "../ids.js";
import { checkJsonBounds, checkStorableString } from "./json-bounds.js";
import { shown } from "./shown.js";
import { validateClientTools, validatePatterns } from "./agents.js";
import {
  IMAGE_MEDIA_TYPES,
  isJsonObject,
  type Disclosure,
  type ImageFilePart,
  type ImagePart,
  type InputPart,
  type JsonObject,
  type StoredControls,
  type StoredExternalActor,
} from "./content.js";

export const MAX_INPUT_PARTS = 100;
export const MAX_TAGS = 64;
export const MAX_TAG_LENGTH = 256;
export const MAX_TITLE_LENGTH = 1000;
/**
 * Size bounds on input, so that the largest legal page (500 messages) stays a
 * response a server and a browser can build: at most 64 MiB of stored JSON.
 * A text part is at most 64 KiB of UTF-8; a whole message (content, controls,
 * external actor, metadata, tags, as stored) at most 128 KiB. Bigger images
 * go through uploadImage and an image_file part.
 */
export const MAX_TEXT_PART_BYTES = 64 * 1024;
export const MAX_MESSAGE_BYTES = 128 * 1024;

export interface ControlsInput {
  modelId?: unknown;
  reasoning?: unknown; // { effort?: "low" | "medium" | "high" }
  errorDisclosure?: unknown; // "GENERIC" | "STANDARD" | "DETAILED", any case
  hints?: unknown;
  locale?: unknown;
  maxTokens?: unknown;
  /** Client tools for this turn (SPEC §11), merged over the agent's by name. */
  clientTools?: unknown;
  /** Server-tool patterns whose calls wait for a decision in this turn. */
  approvalRequired?: unknown;
}

/** What message validation needs to know about the deployment: a client tool may not reuse a server tool's name. */
export interface MessageRules {
  serverToolNames: readonly string[];
}

export interface ExternalActorInput {
  actorId?: unknown;
  actorName?: unknown;
  metadata?: unknown;
  source?: unknown;
}

export interface MessageInput {
  /** content: parts in stored shape (`{ type: "text", text }`, …). */
  message: { role?: string | null; content: unknown };
  controls?: ControlsInput | null;
  externalActor?: ExternalActorInput | null;
  metadata?: unknown;
  tags?: unknown;
}

export interface ValidatedMessage {
  role: "user";
  content: InputPart[];
  controls: StoredControls | null;
  externalActor: StoredExternalActor | null;
  metadata: JsonObject | null;
  tags: string[];
}

export interface SessionInput {
  title?: unknown;
  locale?: unknown;
  modelId?: unknown;
  hints?: unknown;
  tags?: unknown;
  metadata?: unknown;
  /** The session's agent (SPEC §10); null detaches it on update. */
  agentId?: unknown;
}

export interface ValidatedSession {
  title?: string | null;
  locale?: string | null;
  modelId?: string | null;
  hints?: JsonObject | null;
  tags?: string[];
  metadata?: JsonObject | null;
  agentId?: string | null;
}

const EFFORTS = ["low", "medium", "high"] as const;
const DISCLOSURES: readonly Disclosure[] = ["generic", "standard", "detailed"];
const URL_SCHEMES = ["http:", "https:", "data:"];
// Standard alphabet, complete 4-character groups, padding only at the end.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// GraphQL gives explicit nulls for omitted nullable fields; treat them as absent.
const isAbsent = (value: unknown): value is null | undefined => value === null || value === undefined;

// Lengths count code points, so an emoji is one character as a user sees it.
const charLength = (s: string) => [...s].length;

export function validateMessageInput(input: MessageInput, rules: MessageRules = { serverToolNames: [] }): ValidatedMessage {
  const message: unknown = input.message;
  if (!isJsonObject(message)) throw validation("message", "message must be an object with role and content");
  const role = message.role;
  if (!isAbsent(role) && role !== "USER" && role !== "user") {
    throw validation("message.role", `Input messages must have role USER, got ${shown(role)}`);
  }
  const validated: ValidatedMessage = {
    role: "user",
    content: validateContent(message.content, "message.content"),
    controls: isAbsent(input.controls) ? null : validateControls(input.controls, "controls", rules),
    externalActor: isAbsent(input.externalActor) ? null : validateExternalActor(input.externalActor, "externalActor"),
    metadata: isAbsent(input.metadata) ? null : validateJsonObject(input.metadata, "metadata"),
    tags: isAbsent(input.tags) ? [] : validateTags(input.tags, "tags"),
  };
  checkSize(validated, MAX_MESSAGE_BYTES, "message", "A message (content, controls, externalActor, metadata and tags)");
  return validated;
}

function checkSize(value: unknown, maxBytes: number, field: string, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > maxBytes) throw validation(field, `${what} must be at most ${maxBytes} bytes as JSON, got ${bytes}`);
}

/**
 * Create: only given, non-null fields appear (a new session starts empty
 * anyway). Update: every given field appears, null clearing it (tags to []).
 */
export function validateSessionInput(input: SessionInput, mode: "create" | "update"): ValidatedSession {
  const out: ValidatedSession = {};
  const given = (key: keyof SessionInput) => input[key] !== undefined && (mode === "update" || input[key] !== null);

  if (given("title")) {
    const title = input.title;
    if (title === null) out.title = null;
    else if (typeof title !== "string") throw validation("title", "title must be a string");
    else if (charLength(title) > MAX_TITLE_LENGTH) throw validation("title", `title must be at most ${MAX_TITLE_LENGTH} characters`);
    else out.title = checkStorableString(title, "title");
  }
  if (given("locale")) out.locale = input.locale === null ? null : validateLocale(input.locale, "locale");
  if (given("modelId")) out.modelId = input.modelId === null ? null : parseId("model", input.modelId, "modelId");
  if (given("hints")) out.hints = input.hints === null ? null : validateJsonObject(input.hints, "hints");
  if (given("tags")) out.tags = input.tags === null ? [] : validateTags(input.tags, "tags");
  if (given("metadata")) out.metadata = input.metadata === null ? null : validateJsonObject(input.metadata, "metadata");
  if (given("agentId")) out.agentId = input.agentId === null ? null : parseId("agent", input.agentId, "agentId");
  return out;
}

export function validateTags(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw validation(field, "tags must be a list of strings");
  if (value.length > MAX_TAGS) throw validation(field, `At most ${MAX_TAGS} tags are allowed, got ${value.length}`);
  return value.map((tag: unknown, i) => {
    if (typeof tag !== "string") throw validation(`${field}[${i}]`, "Each tag must be a string");
    if (charLength(tag) > MAX_TAG_LENGTH) {
      throw validation(`${field}[${i}]`, `A tag must be at most ${MAX_TAG_LENGTH} characters`);
    }
    return checkStorableString(tag, `${field}[${i}]`);
  });
}

/** A BCP 47 tag, returned in canonical form ("en-us" → "en-US"). */
export function validateLocale(value: unknown, field: string): string {
  if (typeof value !== "string") throw validation(field, "locale must be a BCP 47 language tag string");
  try {
    const [canonical] = Intl.getCanonicalLocales(value);
    if (canonical) return canonical;
  } catch {
    // RangeError: not a well-formed tag; reported below
  }
  throw validation(field, `${shown(value)} is not a valid BCP 47 language tag`);
}

export function validateJsonObject(value: unknown, field: string): JsonObject {
  if (!isJsonObject(value)) throw validation(field, `${field} must be a JSON object`);
  checkJsonBounds(value, field);
  return value;
}

export function validateContent(value: unknown, field: string): InputPart[] {
  if (!Array.isArray(value)) throw validation(field, "content must be a list of content parts");
  if (value.length === 0) throw validation(field, "content must contain at least one part");
  if (value.length > MAX_INPUT_PARTS) {
    throw validation(field, `content may contain at most ${MAX_INPUT_PARTS} parts, got ${value.length}`);
  }
  const parts = value.map((part: unknown, i) => validatePart(part, `${field}[${i}]`));
  checkSize(parts, MAX_MESSAGE_BYTES, field, "content");
  return parts;
}

function validatePart(part: unknown, field: string): InputPart {
  if (!isJsonObject(part)) throw validation(field, "A content part must be an object");
  switch (part.type) {
    case "text":
      if (typeof part.text !== "string") throw validation(`${field}.text`, "text must be a string");
      // Whitespace is the user's business; only a part with no text at all is rejected.
      if (part.text === "") throw validation(`${field}.text`, "text must not be empty");
      if (Buffer.byteLength(part.text) > MAX_TEXT_PART_BYTES) {
        throw validation(`${field}.text`, `text must be at most ${MAX_TEXT_PART_BYTES} bytes (UTF-8), got ${Buffer.byteLength(part.text)}`);
      }
      return { type: "text", text: checkStorableString(part.text, `${field}.text`) };
    case "image":
      return validateImage(part, field);
    case "image_file": {
      const out: ImageFilePart = { type: "image_file", image_id: parseId("img", part.image_id, `${field}.imageId`) };
      if (!isAbsent(part.filename)) out.filename = optionalString(part.filename, `${field}.filename`);
      return out;
    }
    case "tool_call":
    case "tool_result":
      throw validation(`${field}.type`, `${part.type} parts are produced by the agent and are not allowed on input`);
    default:
      throw validation(`${field}.type`, `Unknown content part type ${shown(part.type)}; expected text, image or image_file`);
  }
}

function validateImage(part: JsonObject, field: string): ImagePart {
  const { url, base64, media_type: mediaType } = part;
  if (isAbsent(url) === isAbsent(base64)) throw validation(field, "An image needs exactly one of url or base64");
  const out: ImagePart = { type: "image" };

  if (!isAbsent(url)) {
    if (typeof url !== "string") throw validation(`${field}.url`, "url must be a string");
    let scheme: string;
    try {
      scheme = new URL(url).protocol;
    } catch {
      throw validation(`${field}.url`, "url is not a valid URL");
    }
    if (!URL_SCHEMES.includes(scheme)) throw validation(`${field}.url`, `url must be an http, https or data URL, got ${scheme}`);
    if (scheme === "data:") checkDataUrl(url, mediaType, `${field}.url`);
    out.url = url;
  } else {
    if (typeof base64 !== "string" || base64 === "" || !BASE64.test(base64)) {
      throw validation(`${field}.base64`, "base64 must be non-empty, padded standard base64");
    }
    if (isAbsent(mediaType)) throw validation(`${field}.mediaType`, "mediaType is required with base64");
    out.base64 = base64;
  }

  if (!isAbsent(mediaType)) {
    if (!(IMAGE_MEDIA_TYPES as readonly unknown[]).includes(mediaType)) {
      throw validation(`${field}.mediaType`, `mediaType must be one of ${IMAGE_MEDIA_TYPES.join(", ")}`);
    }
    out.media_type = mediaType as string;
  }
  return out;
}

/**
 * A data URL carries the image itself, so the rules of `base64` + `mediaType`
 * hold for it: `data:<one of IMAGE_MEDIA_TYPES>;base64,<padded base64>` (no
 * SVG, HTML or text; no empty payload), and a `mediaType` beside it must agree.
 */
function checkDataUrl(url: string, mediaType: unknown, field: string): void {
  const match = /^data:([^;,]*);base64,(.*)$/s.exec(url);
  if (!match) throw validation(field, "A data URL must be data:<media type>;base64,<data>");
  const [, type, data] = match as unknown as [string, string, string];
  if (!(IMAGE_MEDIA_TYPES as readonly string[]).includes(type)) {
    throw validation(field, `A data URL's media type must be one of ${IMAGE_MEDIA_TYPES.join(", ")}`);
  }
  if (data === "" || !BASE64.test(data)) throw validation(field, "A data URL's data must be non-empty, padded standard base64");
  if (!isAbsent(mediaType) && mediaType !== type) throw validation(field, `The data URL's media type ${type} differs from mediaType`);
}

function validateControls(value: unknown, field: string, rules: MessageRules): StoredControls {
  if (!isJsonObject(value)) throw validation(field, "controls must be an object");
  const c = value as ControlsInput;
  const out: StoredControls = {};
  if (!isAbsent(c.modelId)) out.model_id = parseId("model", c.modelId, `${field}.modelId`);
  if (!isAbsent(c.reasoning)) {
    if (!isJsonObject(c.reasoning)) throw validation(`${field}.reasoning`, "reasoning must be an object");
    const effort = c.reasoning.effort;
    out.reasoning = {};
    if (!isAbsent(effort)) {
      if (!(EFFORTS as readonly unknown[]).includes(effort)) {
        throw validation(`${field}.reasoning.effort`, `effort must be one of ${EFFORTS.join(", ")}`);
      }
      out.reasoning.effort = effort as string;
    }
  }
  if (!isAbsent(c.errorDisclosure)) {
    const level = typeof c.errorDisclosure === "string" ? c.errorDisclosure.toLowerCase() : c.errorDisclosure;
    if (!DISCLOSURES.includes(level as Disclosure)) {
      throw validation(`${field}.errorDisclosure`, "errorDisclosure must be GENERIC, STANDARD or DETAILED");
    }
    out.error_disclosure = level as Disclosure;
  }
  if (!isAbsent(c.hints)) out.hints = validateJsonObject(c.hints, `${field}.hints`);
  if (!isAbsent(c.locale)) out.locale = validateLocale(c.locale, `${field}.locale`);
  if (!isAbsent(c.maxTokens)) {
    if (typeof c.maxTokens !== "number" || !Number.isSafeInteger(c.maxTokens) || c.maxTokens < 1) {
      throw validation(`${field}.maxTokens`, "maxTokens must be a positive integer");
    }
    out.max_tokens = c.maxTokens;
  }
  if (!isAbsent(c.clientTools)) out.client_tools = validateClientTools(c.clientTools, `${field}.clientTools`, rules.serverToolNames);
  if (!isAbsent(c.approvalRequired)) out.approval_required = validatePatterns(c.approvalRequired, `${field}.approvalRequired`);
  return out;
}

function validateExternalActor(value: unknown, field: string): StoredExternalActor {
  if (!isJsonObject(value)) throw validation(field, "externalActor must be an object");
  const a = value as ExternalActorInput;
  if (typeof a.actorId !== "string" || a.actorId === "") {
    throw validation(`${field}.actorId`, "actorId is required and must be a non-empty string");
  }
  const out: StoredExternalActor = { actor_id: checkStorableString(a.actorId, `${field}.actorId`) };
  if (!isAbsent(a.actorName)) out.actor_name = optionalString(a.actorName, `${field}.actorName`);
  if (!isAbsent(a.metadata)) out.metadata = validateJsonObject(a.metadata, `${field}.metadata`);
  if (!isAbsent(a.source)) out.source = optionalString(a.source, `${field}.source`);
  return out;
}

function optionalString(value: unknown, field: string): string {
  if (typeof value !== "string") throw validation(field, `${field} must be a string`);
  return checkStorableString(value, field);
}

