// SessionEvent.payload (SPEC §12): the EventPayload union, one member per
// entry of the event-payload catalogue (src/domain/event-payloads.ts), plus
// UnknownPayload for any other type. Each member resolves from the event
// itself: its fields read `data`, typed; `message` goes through the loader.
import type { ToolCallPart, ToolResultContent } from "../domain/content.js";
import { EVENT_PAYLOADS, PAYLOAD_FIELDS, payloadTypeName, type PayloadField } from "../domain/event-payloads.js";
import type { TurnErrorCode, Usage } from "../domain/events.js";
import type { StoredEvent } from "../domain/events.js";
import { builder, type SchemaTypes } from "./builder.js";
import { ToolCallPartRef, ToolResultContentRef } from "./content.js";
import { MessageRef } from "./message.js";
import { ErrorDisclosureRef } from "./model.js";

export const UsageRef = builder.objectRef<Partial<Usage>>("Usage").implement({
  description: "Tokens a model step (or a whole turn) used.",
  fields: (t) => ({
    inputTokens: t.int({ nullable: true, resolve: (u) => u.input_tokens ?? null }),
    outputTokens: t.int({ nullable: true, resolve: (u) => u.output_tokens ?? null }),
  }),
});

const TURN_ERROR_CODES = ["LLM_ERROR", "MAX_ITERATIONS", "INTERRUPTED", "TOOL_ERROR", "MODEL_UNAVAILABLE"] as const satisfies readonly Uppercase<TurnErrorCode>[];

export const TurnErrorCodeRef = builder.enumType("TurnErrorCode", { values: TURN_ERROR_CODES });

// SPEC §11's pending-call kind. The waiting-turn code may define it too: keep one and import it from there.
export const PendingKindRef = builder.enumType("PendingKind", { values: ["CLIENT", "APPROVAL"] as const });

type FieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<SchemaTypes, StoredEvent>;

const text = (value: unknown) => (typeof value === "string" ? value : null);
const upper = (value: unknown) => (typeof value === "string" ? value.toUpperCase() : null);

/** The GraphQL field for one catalogue field. */
function payloadField(t: FieldBuilder, { key, kind, nullable }: PayloadField) {
  const value = (event: StoredEvent) => event.data[key];
  switch (kind) {
    case "ID":
      return t.id({ nullable, resolve: (e) => text(value(e))! });
    case "String":
      return t.string({ nullable, resolve: (e) => text(value(e))! });
    case "Int":
      return t.int({ nullable, resolve: (e) => (value(e) as number | null) ?? null! });
    case "DateTime":
      return t.field({ type: "DateTime", nullable, resolve: (e) => text(value(e))! });
    case "StringList":
      return t.stringList({ nullable, resolve: (e) => (value(e) as string[] | null) ?? null! });
    case "Message":
      return t.field({ type: MessageRef, nullable, resolve: (e, _args, { loaders }) => loaders.messagesByEvent.load(e.id) as never });
    case "ToolCall":
      return t.field({ type: ToolCallPartRef, nullable, resolve: (e) => value(e) as unknown as ToolCallPart });
    case "ToolResults":
      return t.field({ type: [ToolResultContentRef], nullable, resolve: (e) => value(e) as unknown as ToolResultContent[] });
    case "Usage":
      return t.field({ type: UsageRef, nullable, resolve: (e) => value(e) as Partial<Usage> });
    case "TurnErrorCode":
      return t.field({ type: TurnErrorCodeRef, nullable, resolve: (e) => upper(value(e)) as (typeof TURN_ERROR_CODES)[number] });
    case "PendingKind":
      return t.field({ type: PendingKindRef, nullable, resolve: (e) => upper(value(e)) as "CLIENT" | "APPROVAL" });
    case "ErrorDisclosure":
      return t.field({ type: ErrorDisclosureRef, nullable, resolve: (e) => upper(value(e)) as "GENERIC" | "STANDARD" | "DETAILED" });
  }
}

const members = Object.entries(EVENT_PAYLOADS).map(([type, entry]) =>
  builder.objectRef<StoredEvent>(payloadTypeName(type)).implement({
    description: `\`${type}\`: ${entry.description}`,
    fields: (t) => Object.fromEntries(entry.fields.map((name) => [name, payloadField(t, PAYLOAD_FIELDS[name])])),
  }),
);

const UnknownPayloadRef = builder.objectRef<StoredEvent>("UnknownPayload").implement({
  description: "An event type this schema has no typed member for (yet): its type and raw data.",
  fields: (t) => ({
    type: t.exposeString("type"),
    data: t.expose("data", { type: "JSON" }),
  }),
});

const memberByType = new Map(Object.keys(EVENT_PAYLOADS).map((type, i) => [type, members[i]!]));

export const EventPayloadRef = builder.unionType("EventPayload", {
  description: "An event's data, typed: one member per event type (PascalCase + Payload), UnknownPayload for the rest.",
  types: [...members, UnknownPayloadRef],
  resolveType: (event: StoredEvent) => memberByType.get(event.type) ?? UnknownPayloadRef,
});
