// The Node interface and `node(id)`: the id's prefix names the type, so no
// global-id encoding is needed. Malformed → INVALID_ID; unknown or another
// owner's → null.
import { AppError } from "../errors.js";
import { prefixOf } from "../ids.js";
import { builder } from "./builder.js";

const NODE_TYPES = { session: "Session", message: "Message", event: "SessionEvent", img: "Image", model: "Model", agent: "Agent" } as const;
type NodePrefix = keyof typeof NODE_TYPES;

function nodePrefix(id: string): NodePrefix {
  const prefix = prefixOf(id);
  if (prefix && prefix in NODE_TYPES) return prefix as NodePrefix;
  const expected = Object.keys(NODE_TYPES).map((p) => `${p}_`).join(", ");
  throw new AppError("INVALID_ID", `Invalid node id ${JSON.stringify(id.slice(0, 80))}: expected ${expected} followed by 32 lowercase hex digits`, "id");
}

export const NodeRef = builder.interfaceRef<{ id: string }>("Node").implement({
  description: "An object with an id of the form {prefix}_{32 hex}, readable through node(id).",
  fields: (t) => ({ id: t.exposeID("id") }),
  resolveType: (node) => NODE_TYPES[nodePrefix(node.id)],
});

builder.queryField("node", (t) =>
  t.field({
    type: NodeRef,
    nullable: true,
    description: "Any object by id; null when it does not exist or is not yours.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { loaders }) => {
      const byPrefix = {
        session: loaders.sessions,
        message: loaders.messages,
        event: loaders.events,
        img: loaders.images,
        model: loaders.models,
        agent: loaders.agents,
      } satisfies Record<NodePrefix, unknown>;
      return byPrefix[nodePrefix(id)].load(id);
    },
  }),
);
