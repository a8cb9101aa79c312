// createMessage: the GraphQL input is mapped to the transport-neutral
// MessageInput of src/domain/validation.ts (content parts in their stored
// shape); the message service validates, stores and queues the turn.
import type { InputPart } from "../domain/content.js";
import type { MessageInput } from "../domain/validation.js";
import { builder } from "./builder.js";
import { ErrorDisclosureRef, MessageRoleRef } from "./enums.js";
import { MessageRef } from "./message.js";
import { ClientToolInputRef } from "./agent.js";

const TextInput = builder.inputType("TextInput", {
  fields: (t) => ({ text: t.string({ required: true }) }),
});

const ImageInput = builder.inputType("ImageInput", {
  description: "Exactly one of url (http, https or data URL) or base64; mediaType is required with base64.",
  fields: (t) => ({ url: t.string(), base64: t.string(), mediaType: t.string() }),
});

const ImageFileInput = builder.inputType("ImageFileInput", {
  description: "An image uploaded with uploadImage.",
  fields: (t) => ({ imageId: t.id({ required: true }), filename: t.string() }),
});

export const InputContentPart = builder.inputType("InputContentPart", {
  isOneOf: true,
  fields: (t) => ({
    text: t.field({ type: TextInput }),
    image: t.field({ type: ImageInput }),
    imageFile: t.field({ type: ImageFileInput }),
  }),
});

const InputMessage = builder.inputType("InputMessage", {
  fields: (t) => ({
    role: t.field({ type: MessageRoleRef, defaultValue: "USER", description: "Only USER is accepted on input." }),
    content: t.field({ type: [InputContentPart], required: true, description: "1 to 100 parts." }),
  }),
});

const ReasoningInput = builder.inputType("ReasoningInput", {
  fields: (t) => ({ effort: t.string({ description: "low, medium or high." }) }),
});

const ControlsInput = builder.inputType("ControlsInput", {
  fields: (t) => ({
    modelId: t.id({ description: "Overrides the session's and the default model." }),
    reasoning: t.field({ type: ReasoningInput }),
    errorDisclosure: t.field({ type: ErrorDisclosureRef, description: "Clamped to the model's maximum." }),
    hints: t.field({ type: "JSON", description: "A JSON object, merged key by key over the session's hints for this turn." }),
    locale: t.string({ description: "BCP 47 language tag." }),
    maxTokens: t.int({ description: "A positive integer." }),
    clientTools: t.field({
      type: [ClientToolInputRef],
      description: "Tools the frontend runs, for this turn only; merged over the agent's client tools by name.",
    }),
    approvalRequired: t.stringList({ description: "Server tools (names or prefixes ending in '*') whose calls wait for decideToolCalls in this turn, besides the agent's." }),
  }),
});

const ExternalActorInput = builder.inputType("ExternalActorInput", {
  fields: (t) => ({
    actorId: t.string({ required: true }),
    actorName: t.string(),
    metadata: t.field({ type: "JSON" }),
    source: t.string(),
  }),
});

const DeliveryRef = builder.enumType("Delivery", {
  description: "How a message joins a session whose turn is running or waiting (SPEC §11). With none, every mode starts a turn.",
  values: {
    QUEUE: { description: "Run after the running turn; a waiting turn is ended as superseded." },
    STEER: { description: "Join the running turn from its next model step." },
    INTERRUPT: { description: "Cancel the running or waiting turn and run this one next." },
    REJECT: { description: "Store nothing and answer CONFLICT." },
  } as const,
});

const CreateMessageInput = builder.inputType("CreateMessageInput", {
  fields: (t) => ({
    sessionId: t.id({ required: true }),
    message: t.field({ type: InputMessage, required: true }),
    controls: t.field({ type: ControlsInput }),
    delivery: t.field({ type: DeliveryRef, defaultValue: "QUEUE" }),
    waitMs: t.int({
      description:
        "Wait mode, 0 to 600000: answer once the message's turn (the one it joined, for STEERED) has ended or waits for tool results, or after this many ms — so the same request can select the answer.",
    }),
    externalActor: t.field({ type: ExternalActorInput }),
    metadata: t.field({ type: "JSON", description: "A JSON object." }),
    tags: t.stringList(),
    idempotencyKey: t.string({
      description: "Sending the same key with the same body again returns the first message and stores nothing; another body is a CONFLICT.",
    }),
  }),
});

type ContentPartInput = typeof InputContentPart.$inferInput;

/** A oneOf content part in its stored shape. */
export function storedPart(part: ContentPartInput): InputPart {
  if (part.text) return { type: "text", text: part.text.text };
  if (part.image) {
    const { url, base64, mediaType } = part.image;
    return { type: "image", url: url ?? undefined, base64: base64 ?? undefined, media_type: mediaType ?? undefined };
  }
  if (part.imageFile) return { type: "image_file", image_id: part.imageFile.imageId, filename: part.imageFile.filename ?? undefined };
  // graphql-js enforces @oneOf before resolvers run.
  throw new Error("InputContentPart without a member");
}

builder.mutationField("createMessage", (t) =>
  t.field({
    type: MessageRef,
    description:
      "Stores the user message and returns it at once (or, with waitMs, once its turn has ended or waits); the agent turn runs in the background.",
    args: { input: t.arg({ type: CreateMessageInput, required: true }) },
    resolve: (_root, { input }, { actor, services, signal }) => {
      const message: MessageInput["message"] = { role: input.message.role, content: input.message.content.map(storedPart) };
      return services.messages.create(actor, { ...input, message }, signal);
    },
  }),
);
