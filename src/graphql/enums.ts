// The GraphQL enum types, built from the tables of src/domain/enums.ts (the
// one place their values are spelled). Internal values are the GraphQL names,
// which are also the database's enum labels.
import { ERROR_DISCLOSURE, MESSAGE_DELIVERY, MESSAGE_PHASE, MESSAGE_ROLE, SESSION_STATUS, enumNames } from "../domain/enums.js";
import { builder } from "./builder.js";

export const SessionStatusRef = builder.enumType("SessionStatus", {
  values: enumNames(SESSION_STATUS),
  description: "STARTED until the first turn, ACTIVE while a turn runs, IDLE after.",
});

export const MessageRoleRef = builder.enumType("MessageRole", { values: enumNames(MESSAGE_ROLE) });

export const MessagePhaseRef = builder.enumType("MessagePhase", {
  values: enumNames(MESSAGE_PHASE),
  description: "COMMENTARY for an agent message that calls tools, FINAL_ANSWER for the turn's answer.",
});

export const ErrorDisclosureRef = builder.enumType("ErrorDisclosure", {
  values: enumNames(ERROR_DISCLOSURE),
  description: "How much of a failed turn's error the client sees (absent means STANDARD).",
});

export const MessageDeliveryRef = builder.enumType("MessageDelivery", {
  values: enumNames(MESSAGE_DELIVERY),
  description:
    "What happened to a user message when it was posted: STARTED (its turn was next to run; always for INTERRUPT), QUEUED (others were ahead of it), STEERED (it joined the running or waiting turn).",
});
