// Fork (SPEC §11): forkSession, and where a session came from.
import { builder } from "./builder.js";
import { SessionRef } from "./session.js";

builder.objectFields(SessionRef, (t) => ({
  forkedFrom: t.field({
    type: SessionRef,
    nullable: true,
    description: "The session this one was forked from; null when it is not a fork, or the source is gone or not yours.",
    resolve: (s, _args, { loaders }) => (s.forkedFromSessionId ? loaders.sessions.load(s.forkedFromSessionId) : null),
  }),
  forkedFromSequence: t.exposeInt("forkedFromSequence", {
    nullable: true,
    description: "The source's last sequence the fork copied; null when it is not a fork.",
  }),
}));

const ForkSessionInput = builder.inputType("ForkSessionInput", {
  fields: (t) => ({
    sessionId: t.id({ required: true }),
    atSequence: t.int({
      description: "1, or the sequence of a session.idled with no earlier user message still waiting. Default: the last sequence (CONFLICT while a turn is running or waiting).",
    }),
    title: t.string({ description: "Default: the source's title plus \" (fork)\"." }),
  }),
});

builder.mutationField("forkSession", (t) =>
  t.field({
    type: SessionRef,
    description:
      "Copies the session's log up to atSequence into a new session (same model, hints, locale, tags; new ids), then appends session.forked. " +
      "Editing a question = fork at the session.idled before it, then post the new text.",
    args: { input: t.arg({ type: ForkSessionInput, required: true }) },
    resolve: (_root, { input }, { actor, services }) => services.sessions.fork(actor, input),
  }),
);
