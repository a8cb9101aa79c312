// Sessions: the type and the session queries and mutations. Session.messages
// and Session.events are defined by message.ts and event.ts, so imports among
// the type families run one way (event → message → session).
import { parseId } from "../ids.js";
import type { Session } from "../store/sessions.js";
import { builder, type SchemaTypes } from "./builder.js";
import { connectionType, toConnection } from "./connection.js";
import { SessionStatusRef } from "./enums.js";
import { NodeRef } from "./node.js";
import { sessionWithPage } from "./message-page.js";

export const SessionRef = builder.objectRef<Session>("Session");

SessionRef.implement({
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.exposeID("id"),
    title: t.exposeString("title", { nullable: true }),
    status: t.expose("status", { type: SessionStatusRef }),
    locale: t.exposeString("locale", { nullable: true }),
    modelId: t.exposeID("modelId", { nullable: true }),
    hints: t.expose("hints", { type: "JSON", nullable: true }),
    tags: t.exposeStringList("tags"),
    metadata: t.expose("metadata", { type: "JSON", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    lastSequence: t.exposeInt("lastSequence", { description: "Sequence of the session's latest event." }),
  }),
});

const SessionConnectionRef = connectionType("Session", SessionRef);

builder.queryFields((t) => ({
  session: t.field({
    type: SessionRef,
    nullable: true,
    description: "Null when it does not exist or is not yours.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx, info) => sessionWithPage(parseId("session", id, "id"), ctx, info),
  }),
  sessions: t.field({
    type: SessionConnectionRef,
    description: "Your sessions, newest first.",
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      last: t.arg.int(),
      before: t.arg.string(),
      status: t.arg({ type: SessionStatusRef }),
      tag: t.arg.string(),
    },
    resolve: async (_root, args, { actor, services }) => {
      const page = await services.sessions.list(actor, args);
      const backward = args.last != null;
      const fromCursor = (backward ? args.before : args.after) != null;
      return toConnection({ ...page, backward, fromCursor }, (s) => s.id, page.count);
    },
  }),
}));

const sessionFields = (t: PothosSchemaTypes.InputFieldBuilder<SchemaTypes, "InputObject">) => ({
  title: t.string(),
  locale: t.string({ description: "BCP 47 language tag." }),
  modelId: t.id(),
  hints: t.field({ type: "JSON", description: "A JSON object." }),
  tags: t.stringList(),
  metadata: t.field({ type: "JSON", description: "A JSON object." }),
  agentId: t.id({ description: "The agent its turns run; null (on update) detaches it, so the default agent runs." }),
});

const CreateSessionInput = builder.inputType("CreateSessionInput", { fields: sessionFields });

const UpdateSessionInput = builder.inputType("UpdateSessionInput", {
  description: "Replaces the fields given (hints and metadata whole); null clears a field.",
  fields: (t) => ({ id: t.id({ required: true }), ...sessionFields(t) }),
});

builder.mutationFields((t) => ({
  createSession: t.field({
    type: SessionRef,
    args: { input: t.arg({ type: CreateSessionInput }) },
    resolve: (_root, { input }, { actor, services }) => services.sessions.create(actor, input ?? {}),
  }),
  updateSession: t.field({
    type: SessionRef,
    args: { input: t.arg({ type: UpdateSessionInput, required: true }) },
    resolve: (_root, { input: { id, ...fields } }, { actor, services }) => services.sessions.update(actor, id, fields),
  }),
  deleteSession: t.id({
    description: "Deletes the session with its events, messages and turns; returns its id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { actor, services }) => services.sessions.delete(actor, id),
  }),
  cancelTurn: t.field({
    type: SessionRef,
    description: "Stops the session's running turn, if any.",
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: async (_root, { sessionId }, { actor, services }) => (await services.sessions.cancelTurn(actor, sessionId)).session,
  }),
}));
