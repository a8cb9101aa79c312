// Agent use cases (SPEC §10), shared by GraphQL and REST, and the list of
// server tools this deployment offers.
import { validateAgentUpdate, validateNewAgent, type AgentInput, type AgentRules } from "../domain/agents.js";
import type { JsonObject } from "../domain/content.js";
import { byCodePoint } from "../domain/tool-patterns.js";
import { notFound } from "../errors.js";
import { parseId } from "../ids.js";
import type { Agent } from "../store/agents.js";
import type { Store } from "../store/index.js";
import type { Actor } from "./context.js";
import type { ModelService } from "./models.js";
import { PAGE_CAPS, pageSize, type CursorPageArgs } from "./paging.js";

/** A server tool as `Query.tools` lists it. */
export interface ServerTool {
  name: string;
  description: string | null;
  /** JSON Schema of the arguments object. */
  parameters: JsonObject;
  source: "BUILTIN" | "MCP";
  /** The MCP server it comes from; null for built-ins. */
  server: string | null;
}

export class AgentService {
  constructor(
    private readonly store: Store,
    private readonly models: ModelService,
    /** The server tools offered right now (MCP servers come and go). */
    private readonly serverTools: () => readonly ServerTool[],
    /** MAX_ITERATIONS: the default of Agent.maxIterations (capped at 50). */
    private readonly maxIterations: number,
  ) {}

  async create(actor: Actor, input: AgentInput): Promise<Agent> {
    const fields = validateNewAgent(input, this.rules());
    if (fields.modelId) await this.models.require(fields.modelId, "modelId");
    return this.store.agents.create(actor.ownerId, fields);
  }

  /** null when the id is unknown or not the actor's. */
  find(actor: Actor, id: unknown, field = "id"): Promise<Agent | null> {
    return this.store.agents.get(actor.ownerId, parseId("agent", id, field));
  }

  async get(actor: Actor, id: unknown, field = "id"): Promise<Agent> {
    const agent = await this.find(actor, id, field);
    if (!agent) throw notFound("Agent", String(id));
    return agent;
  }

  /** Replaces the fields given; explicit null clears description, instructions and modelId. */
  async update(actor: Actor, id: unknown, input: AgentInput): Promise<Agent> {
    const agentId = parseId("agent", id, "id");
    const fields = validateAgentUpdate(input, this.rules());
    if (fields.modelId) await this.models.require(fields.modelId, "modelId");
    const agent = await this.store.agents.update(actor.ownerId, agentId, fields);
    if (!agent) throw notFound("Agent", agentId);
    return agent;
  }

  /** Sessions that named it fall back to the default agent (their agentId becomes null). */
  async delete(actor: Actor, id: unknown): Promise<string> {
    const agentId = parseId("agent", id, "id");
    if (!(await this.store.agents.delete(actor.ownerId, agentId))) throw notFound("Agent", agentId);
    return agentId;
  }

  /** Newest first. */
  async list(actor: Actor, args: CursorPageArgs) {
    const { size, backward } = pageSize(args, PAGE_CAPS.agents);
    for (const key of ["after", "before"] as const) if (args[key] != null) parseId("agent", args[key], key);
    return { ...(await this.store.agents.page(actor.ownerId, args, size, backward)), backward };
  }

  /** The server tools this deployment offers, sorted by name in code-point order. */
  tools(): ServerTool[] {
    return [...this.serverTools()].sort((a, b) => byCodePoint(a.name, b.name));
  }

  private rules(): AgentRules {
    return { serverToolNames: this.serverTools().map((t) => t.name), maxIterations: this.maxIterations };
  }
}
