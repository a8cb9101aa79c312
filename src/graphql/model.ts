// Models a message may name in controls.modelId.
import { ErrorDisclosure } from "../domain/enums.js";
import type { Model } from "../store/models.js";
import { builder } from "./builder.js";
import { NodeRef } from "./node.js";

export const ErrorDisclosureRef = builder.enumType(ErrorDisclosure, {
  name: "ErrorDisclosure",
  description: "How much of a failed turn's error the client sees (absent means STANDARD).",
});

export const ModelRef = builder.objectRef<Model>("Model");

ModelRef.implement({
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    provider: t.exposeString("provider"),
    maxErrorDisclosure: t.expose("maxErrorDisclosure", { type: ErrorDisclosureRef }),
  }),
});

builder.queryField("models", (t) =>
  t.field({
    type: [ModelRef],
    resolve: (_root, _args, { services }) => services.models.list(),
  }),
);
