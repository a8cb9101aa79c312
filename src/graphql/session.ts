// Sessions: the type, its message page and event list, and the session
// queries and mutations.
import { SessionStatus } from "../domain/enums.js";
import { parseId } from "../ids.js";
import { encodeCursor } from "../service/paging.js";
import type { Session } from "../store/sessions.js";
import { builder, type SchemaTypes } from "./builder.js";
import { connectionType, toConnection } from "./connection.js";
import { SessionEventRef } from "./event.js";
import { MessageConnectionRef, MessageRoleRef } from "./message.js";
import { NodeRef } from "./node.js";

export const SessionStatusRef = builder.enumType(SessionStatus, {
  name: "SessionStatus",
  description: "STARTED until the first turn, ACTIVE while a turn runs, IDLE after.",
});

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
    messages: t.field({
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
        const page = await services.messages.page(actor, session.id, args);
        return toConnection({ ...page, fromCursor: page.cursor != null }, (m) => encodeCursor(m.sequence), page.totalCount);
      },
    }),
    events: t.field({
      type: [SessionEventRef],
      description: "The event log after a sequence, oldest first (first defaults to 100).",
      args: { after: t.arg.int(), first: t.arg.int(), types: t.arg.stringList() },
      resolve: (session, args, { actor, services }) => services.events.list(actor, session.id, args),
    }),
  }),
});

const SessionConnectionRef = connectionType("Session", SessionRef);

builder.queryFields((t) => ({
  session: t.field({
    type: SessionRef,
    nullable: true,
    description: "Null when it does not exist or is not yours.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { loaders }) => loaders.sessions.load(parseId("session", id, "id")),
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
