// The server tools this deployment offers (SPEC §10): built-in and MCP.
import type { ServerTool } from "../service/index.js";
import { builder } from "./builder.js";

export const ToolSourceRef = builder.enumType("ToolSource", {
  description: "Where a tool comes from. CLIENT: reserved for listings of a turn's client tools.",
  values: ["BUILTIN", "MCP", "CLIENT"] as const,
});

export const ToolRef = builder.objectRef<ServerTool>("Tool").implement({
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    parameters: t.expose("parameters", { type: "JSON", description: "JSON Schema of the arguments object." }),
    source: t.expose("source", { type: ToolSourceRef }),
    server: t.exposeString("server", { nullable: true, description: "The MCP server it comes from; null for built-ins." }),
  }),
});

builder.queryField("tools", (t) =>
  t.field({
    type: [ToolRef],
    description: "The server tools this deployment offers (built-in and MCP), sorted by name.",
    resolve: (_root, _args, { services }) => services.agents.tools(),
  }),
);
