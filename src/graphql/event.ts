// The event log: SessionEvent, Session.events, and the sessionEvents
// subscription (replay-then-live, src/service/event-stream.ts).
import type { StoredEvent } from "../domain/events.js";
import { builder } from "./builder.js";
import { MessageRef } from "./message.js";
import { MESSAGE_EVENT_TYPES } from "../domain/messages.js";
import { NodeRef } from "./node.js";
import { EventPayloadRef } from "./payload.js";
import { SessionRef } from "./session.js";

const EventContextRef = builder.objectRef<StoredEvent["context"]>("EventContext").implement({
  fields: (t) => ({
    turnId: t.exposeID("turnId", { nullable: true }),
    inputMessageId: t.exposeID("inputMessageId", { nullable: true }),
  }),
});

export const SessionEventRef = builder.objectRef<StoredEvent>("SessionEvent");

SessionEventRef.implement({
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.exposeID("id"),
    sessionId: t.exposeID("sessionId"),
    sequence: t.exposeInt("sequence", { description: "Per session, from 1, gapless." }),
    type: t.exposeString("type"),
    ts: t.expose("ts", { type: "DateTime" }),
    context: t.expose("context", { type: EventContextRef }),
    data: t.expose("data", { type: "JSON", description: "The stored event data (REST shape: snake_case, parts with `type`)." }),
    payload: t.field({
      type: EventPayloadRef,
      description: "The data, typed: one member per event type (e.g. OutputMessageDeltaPayload), UnknownPayload for a type without one.",
      resolve: (event) => event,
    }),
    message: t.field({
      type: MessageRef,
      nullable: true,
      description: "The message this event produced (input.message, output.message.completed, tool.completed).",
      // Most events (deltas above all) produce no message: skip the lookup for them.
      resolve: (event, _args, { loaders }) =>
        (MESSAGE_EVENT_TYPES as readonly string[]).includes(event.type) ? loaders.messagesByEvent.load(event.id) : null,
    }),
  }),
});

builder.objectField(SessionRef, "events", (t) =>
  t.field({
    type: [SessionEventRef],
    description: "The event log after a sequence, oldest first (first defaults to 100).",
    args: { after: t.arg.int(), first: t.arg.int(), types: t.arg.stringList() },
    resolve: (session, args, { actor, services }) => services.events.list(actor, session.id, args),
  }),
);

builder.subscriptionField("sessionEvents", (t) =>
  t.field({
    type: SessionEventRef,
    description:
      "after: null = live only; N = every event with sequence > N, then live, with no gap and no duplicate. " +
      "types / exclude: exact names or prefixes ending in '*' (e.g. \"output.message.*\").",
    args: {
      sessionId: t.arg.id({ required: true }),
      after: t.arg.int(),
      types: t.arg.stringList(),
      exclude: t.arg.stringList(),
    },
    // The service checks the id and the owner before the stream starts; graphql-js
    // calls the iterator's return() when the client goes, which frees the bus listener.
    subscribe: (_root, args, { actor, services, cutOff }) => services.events.open(actor, args, { onCutOff: cutOff }),
    resolve: (event, _args, { loaders }) => {
      // One context serves a whole subscription: drop rows cached for earlier events.
      loaders.clearAll();
      return event;
    },
  }),
);
