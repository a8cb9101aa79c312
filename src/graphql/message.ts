// Messages, read from the Message projection rows (src/store/rows.ts); their
// JSON columns hold the stored REST shapes, mapped here to camelCase. Also
// Session.messages, so that this file imports session.ts and not the reverse.
import type { ContentPart, JsonObject, StoredControls, StoredExternalActor } from "../domain/content.js";
import { ERROR_DISCLOSURE, fromRestSpelling } from "../domain/enums.js";
import { notFound } from "../errors.js";
import { parseId } from "../ids.js";
import type { Message } from "../domain/messages.js";
import { builder } from "./builder.js";
import { encodeCursor } from "../service/paging.js";
import { connectionType, toConnection } from "./connection.js";
import { ContentPartRef } from "./content.js";
import { ErrorDisclosureRef, MessageDeliveryRef, MessagePhaseRef, MessageRoleRef } from "./enums.js";
import { NodeRef } from "./node.js";
import { SessionRef } from "./session.js";
import { prefetchedPage } from "./message-page.js";

const EMPTY_PAGE = { nodes: [], hasMore: false, backward: false, cursor: null, totalCount: async () => 0 };

const ReasoningRef = builder.objectRef<{ effort?: string }>("Reasoning").implement({
  fields: (t) => ({ effort: t.string({ nullable: true, resolve: (r) => r.effort ?? null }) }),
});

const ControlsRef = builder.objectRef<StoredControls>("Controls").implement({
  description: "Per-message controls, as the client sent them.",
  fields: (t) => ({
    modelId: t.id({ nullable: true, resolve: (c) => c.model_id ?? null }),
    reasoning: t.field({ type: ReasoningRef, nullable: true, resolve: (c) => c.reasoning ?? null }),
    errorDisclosure: t.field({
      type: ErrorDisclosureRef,
      nullable: true,
      resolve: (c) => (c.error_disclosure ? (fromRestSpelling(ERROR_DISCLOSURE, c.error_disclosure) ?? null) : null),
    }),
    hints: t.field({ type: "JSON", nullable: true, resolve: (c) => c.hints ?? null }),
    locale: t.string({ nullable: true, resolve: (c) => c.locale ?? null }),
    maxTokens: t.int({ nullable: true, resolve: (c) => c.max_tokens ?? null }),
  }),
});

const ExternalActorRef = builder.objectRef<StoredExternalActor>("ExternalActor").implement({
  description: "Who wrote the message on an external channel (Slack…).",
  fields: (t) => ({
    actorId: t.string({ resolve: (a) => a.actor_id }),
    actorName: t.string({ description: "Falls back to actorId.", resolve: (a) => a.actor_name ?? a.actor_id }),
    metadata: t.field({ type: "JSON", nullable: true, resolve: (a) => a.metadata ?? null }),
    source: t.string({ nullable: true, resolve: (a) => a.source ?? null }),
  }),
});

export const MessageRef = builder.objectRef<Message>("Message");

MessageRef.implement({
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.exposeID("id"),
    sessionId: t.exposeID("sessionId"),
    session: t.field({
      type: SessionRef,
      resolve: async (m, _args, { loaders }) => {
        const session = await loaders.sessions.load(m.sessionId);
        // Messages are read through their owner's session, so it is missing only if deleted meanwhile.
        if (!session) throw notFound("Session", m.sessionId);
        return session;
      },
    }),
    role: t.expose("role", { type: MessageRoleRef }),
    content: t.field({ type: [ContentPartRef], resolve: (m) => m.content as ContentPart[] }),
    controls: t.field({ type: ControlsRef, nullable: true, resolve: (m) => m.controls as StoredControls | null }),
    externalActor: t.field({ type: ExternalActorRef, nullable: true, resolve: (m) => m.externalActor as StoredExternalActor | null }),
    metadata: t.field({ type: "JSON", nullable: true, resolve: (m) => m.metadata as JsonObject | null }),
    tags: t.exposeStringList("tags"),
    phase: t.expose("phase", { type: MessagePhaseRef, nullable: true }),
    thinking: t.exposeString("thinking", { nullable: true }),
    thinkingSignature: t.exposeString("thinkingSignature", { nullable: true }),
    turnId: t.exposeID("turnId", { nullable: true, description: "For a STEERED user message, the turn it joined." }),
    delivery: t.expose("delivery", { type: MessageDeliveryRef, nullable: true, description: "Null on non-user messages." }),
    sequence: t.exposeInt("sequence", { description: "Sequence of the event the message came from." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const MessageConnectionRef = connectionType("Message", MessageRef);

builder.objectField(SessionRef, "messages", (t) =>
  t.field({
    type: MessageConnectionRef,
    description:
      "Chronological. last: N gives the newest N, oldest first. Without first/last: the first 100. Page size above 500: VALIDATION_FAILED.",
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      last: t.arg.int(),
      before: t.arg.string(),
      roles: t.arg({ type: [MessageRoleRef] }),
    },
    resolve: async (session, args, { actor, services }) => {
      // Null: the session was deleted since it was read.
      const page = prefetchedPage(session) ?? (await services.messages.page(actor, session.id, args)) ?? EMPTY_PAGE;
      return toConnection({ ...page, fromCursor: page.cursor != null }, (m) => encodeCursor(m.sequence), page.totalCount);
    },
  }),
);

builder.queryField("message", (t) =>
  t.field({
    type: MessageRef,
    nullable: true,
    description: "Null when it does not exist or is not yours.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { loaders }) => loaders.messages.load(parseId("message", id, "id")),
  }),
);
