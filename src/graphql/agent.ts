// Agents (SPEC §10): the type, its connection, the agent queries and
// mutations, and the session's agent.
import type { ClientTool } from "../domain/agents.js";
import { parseId } from "../ids.js";
import { agentClientTools } from "../domain/agents.js";
import type { Agent } from "../store/agents.js";
import { builder, type SchemaTypes } from "./builder.js";
import { connectionType, toConnection } from "./connection.js";
import { ModelRef } from "./model.js";
import { NodeRef } from "./node.js";
import { SessionRef } from "./session.js";

export const ClientToolRef = builder.objectRef<ClientTool>("ClientTool").implement({
  description: "A tool the frontend runs (SPEC §11).",
  fields: (t) => ({
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    parameters: t.expose("parameters", { type: "JSON", description: "A JSON Schema object." }),
  }),
});

export const AgentRef = builder.objectRef<Agent>("Agent");

AgentRef.implement({
  description: "What a turn runs: instructions (the system prompt), a model, the tools it may call, and limits.",
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    instructions: t.exposeString("instructions", { nullable: true, description: "The system prompt, sent first in every model step." }),
    modelId: t.exposeID("modelId", { nullable: true, description: "null: the session's model, else the server default." }),
    model: t.field({
      type: ModelRef,
      nullable: true,
      resolve: (agent, _args, { loaders }) => (agent.modelId ? loaders.models.load(agent.modelId) : null),
    }),
    tools: t.exposeStringList("tools", { description: "Server tools it may call: exact names or prefixes ending in '*'." }),
    approvalRequired: t.exposeStringList("approvalRequired", {
      description: "Server tools (same patterns) that wait for a person's decision.",
    }),
    clientTools: t.field({ type: [ClientToolRef], resolve: (agent) => agentClientTools(agent) }),
    maxIterations: t.exposeInt("maxIterations", { description: "Model steps per turn." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const AgentConnectionRef = connectionType("Agent", AgentRef);

builder.objectFields(SessionRef, (t) => ({
  agentId: t.exposeID("agentId", { nullable: true, description: "null: the default agent." }),
  agent: t.field({
    type: AgentRef,
    nullable: true,
    resolve: (session, _args, { loaders }) => (session.agentId ? loaders.agents.load(session.agentId) : null),
  }),
}));

builder.queryFields((t) => ({
  agent: t.field({
    type: AgentRef,
    nullable: true,
    description: "Null when it does not exist or is not yours.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { loaders }) => loaders.agents.load(parseId("agent", id, "id")),
  }),
  agents: t.field({
    type: AgentConnectionRef,
    description: "Your agents, newest first.",
    args: { first: t.arg.int(), after: t.arg.string(), last: t.arg.int(), before: t.arg.string() },
    resolve: async (_root, args, { actor, services }) => {
      const page = await services.agents.list(actor, args);
      const fromCursor = (page.backward ? args.before : args.after) != null;
      return toConnection({ ...page, fromCursor }, (a) => a.id, page.count);
    },
  }),
}));

export const ClientToolInputRef = builder.inputType("ClientToolInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "1–64 characters A-Z a-z 0-9 _ -; not a server tool's name." }),
    description: t.string(),
    parameters: t.field({ type: "JSON", description: 'A JSON Schema object; default {"type":"object"}.' }),
  }),
});

const agentFields = (t: PothosSchemaTypes.InputFieldBuilder<SchemaTypes, "InputObject">) => ({
  description: t.string(),
  instructions: t.string({ description: "The system prompt." }),
  modelId: t.id(),
  tools: t.stringList({ description: 'Exact names or prefixes ending in \'*\'; default ["*"], [] for none.' }),
  approvalRequired: t.stringList({ description: "Patterns of server tools that wait for a person's decision; default []." }),
  clientTools: t.field({ type: [ClientToolInputRef] }),
  maxIterations: t.int({ description: "1–50; default MAX_ITERATIONS capped at 50." }),
});

const CreateAgentInput = builder.inputType("CreateAgentInput", {
  fields: (t) => ({ name: t.string({ required: true }), ...agentFields(t) }),
});

const UpdateAgentInput = builder.inputType("UpdateAgentInput", {
  description: "Replaces the fields given; null clears description, instructions and modelId.",
  fields: (t) => ({ id: t.id({ required: true }), name: t.string(), ...agentFields(t) }),
});

builder.mutationFields((t) => ({
  createAgent: t.field({
    type: AgentRef,
    args: { input: t.arg({ type: CreateAgentInput, required: true }) },
    resolve: (_root, { input }, { actor, services }) => services.agents.create(actor, input),
  }),
  updateAgent: t.field({
    type: AgentRef,
    args: { input: t.arg({ type: UpdateAgentInput, required: true }) },
    resolve: (_root, { input: { id, ...fields } }, { actor, services }) => services.agents.update(actor, id, fields),
  }),
  deleteAgent: t.id({
    description: "Deletes the agent; sessions that named it fall back to the default agent. Returns its id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { actor, services }) => services.agents.delete(actor, id),
  }),
}));
