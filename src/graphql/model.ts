// Models a message may name in controls.modelId.
import type { Model } from "../store/models.js";
import { builder } from "./builder.js";
import { ErrorDisclosureRef } from "./enums.js";
import { NodeRef } from "./node.js";

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
