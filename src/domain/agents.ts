// Agents (SPEC §10): the rules for their fields, tool patterns, and the
// default agent a session without one runs. Pure: the server tools' names and
// the iteration default come in as parameters, so no registry or config is read.
// Inputs are typed loosely because REST passes parsed JSON through: a wrong
// JSON type is VALIDATION_FAILED naming the field, never a crash.
import { checkStorableString } from "./json-bounds.js";
import { shown } from "./shown.js";
import { TOOL_NAME, TOOL_PATTERN } from "./tool-patterns.js";
import { validation } from "../errors.js";
import { parseId } from "../ids.js";
import { isJsonObject, type JsonObject, type JsonValue } from "./content.js";

export const MAX_AGENT_ITERATIONS = 50;
export const MAX_AGENT_NAME_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 10_000;
export const MAX_INSTRUCTIONS_LENGTH = 100_000;
export const MAX_PATTERNS = 256;
export const MAX_CLIENT_TOOLS = 128;
/** Bounds of a client tool's JSON Schema, so one agent row stays small and readable. */
export const MAX_SCHEMA_BYTES = 64 * 1024;
export const MAX_SCHEMA_DEPTH = 32;

export interface ClientTool {
  name: string;
  description: string | null;
  /** A JSON Schema object (`"type": "object"`). */
  parameters: JsonObject;
}

/** Agent fields as GraphQL and REST give them (camelCase, unchecked). */
export interface AgentInput {
  name?: unknown;
  description?: unknown;
  instructions?: unknown;
  modelId?: unknown;
  tools?: unknown;
  approvalRequired?: unknown;
  clientTools?: unknown;
  maxIterations?: unknown;
}

/** Checked fields: create gives every one; update only those it was given. */
export interface AgentFields {
  name?: string;
  description?: string | null;
  instructions?: string | null;
  modelId?: string | null;
  tools?: string[];
  approvalRequired?: string[];
  clientTools?: ClientTool[];
  maxIterations?: number;
}

export type NewAgentFields = Required<AgentFields>;

export interface AgentRules {
  /** Names of the server tools this deployment offers (a client tool may not reuse one). */
  serverToolNames: readonly string[];
  /** MAX_ITERATIONS; an agent's default is this capped at MAX_AGENT_ITERATIONS. */
  maxIterations: number;
}

/** What a turn runs: an agent's settings, fixed when the turn starts. */
export interface AgentSnapshot {
  /** null for the default agent. */
  id: string | null;
  name: string | null;
  instructions: string | null;
  modelId: string | null;
  tools: string[];
  approvalRequired: string[];
  clientTools: ClientTool[];
  maxIterations: number;
}

/** An agent as stored: its client tools are a JSON column, checked when written. */
export type StoredAgent = Omit<AgentSnapshot, "id" | "clientTools"> & { id: string; clientTools: unknown };

/** The client tools of a stored agent (the column holds what validateClientTools accepted). */
export const agentClientTools = (agent: Pick<StoredAgent, "clientTools">): ClientTool[] =>
  Array.isArray(agent.clientTools) ? (agent.clientTools as ClientTool[]) : [];

/** A stored agent as the turn runs it. */
export function agentSnapshot(agent: StoredAgent): AgentSnapshot {
  const { id, name, instructions, modelId, tools, approvalRequired, maxIterations } = agent;
  return { id, name, instructions, modelId, tools, approvalRequired, clientTools: agentClientTools(agent), maxIterations };
}

/** The agent of a session that names none (or whose agent was deleted): wave 1's behaviour. */
export function defaultAgent(maxIterations: number): AgentSnapshot {
  return { id: null, name: null, instructions: null, modelId: null, tools: ["*"], approvalRequired: [], clientTools: [], maxIterations };
}

export const defaultAgentIterations = (maxIterations: number) => Math.min(maxIterations, MAX_AGENT_ITERATIONS);


export function validateNewAgent(input: AgentInput, rules: AgentRules): NewAgentFields {
  const fields = validateAgentFields(input, "create", rules);
  if (fields.name === undefined) throw validation("name", "name is required");
  return {
    name: fields.name,
    description: fields.description ?? null,
    instructions: fields.instructions ?? null,
    modelId: fields.modelId ?? null,
    tools: fields.tools ?? ["*"],
    approvalRequired: fields.approvalRequired ?? [],
    clientTools: fields.clientTools ?? [],
    maxIterations: fields.maxIterations ?? defaultAgentIterations(rules.maxIterations),
  };
}

/** The fields an update gives: null clears description, instructions and modelId; null elsewhere is VALIDATION_FAILED. */
export function validateAgentUpdate(input: AgentInput, rules: AgentRules): AgentFields {
  return validateAgentFields(input, "update", rules);
}

function validateAgentFields(input: AgentInput, mode: "create" | "update", rules: AgentRules): AgentFields {
  const out: AgentFields = {};
  // On create a null optional field means "not given"; on update it is an explicit value.
  const given = (key: keyof AgentInput) => input[key] !== undefined && (mode === "update" || input[key] !== null || key === "name");
  const notNull = (key: keyof AgentInput, what: string) => {
    if (input[key] === null) throw validation(key, `${key} cannot be null: ${what}`);
  };

  if (given("name")) {
    notNull("name", "every agent has a name");
    out.name = boundedString(input.name, "name", MAX_AGENT_NAME_LENGTH);
    if (out.name.trim() === "") throw validation("name", "name must not be empty");
  }
  if (given("description")) out.description = input.description === null ? null : boundedString(input.description, "description", MAX_DESCRIPTION_LENGTH);
  if (given("instructions")) {
    out.instructions = input.instructions === null ? null : boundedString(input.instructions, "instructions", MAX_INSTRUCTIONS_LENGTH);
  }
  if (given("modelId")) out.modelId = input.modelId === null ? null : parseId("model", input.modelId, "modelId");
  if (given("tools")) {
    notNull("tools", "pass [] for no server tools");
    out.tools = validatePatterns(input.tools, "tools");
  }
  if (given("approvalRequired")) {
    notNull("approvalRequired", "pass [] for none");
    out.approvalRequired = validatePatterns(input.approvalRequired, "approvalRequired");
  }
  if (given("clientTools")) {
    notNull("clientTools", "pass [] for none");
    out.clientTools = validateClientTools(input.clientTools, "clientTools", rules.serverToolNames);
  }
  if (given("maxIterations")) {
    notNull("maxIterations", `give a number from 1 to ${MAX_AGENT_ITERATIONS}`);
    const n = input.maxIterations;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_AGENT_ITERATIONS) {
      throw validation("maxIterations", `maxIterations must be an integer from 1 to ${MAX_AGENT_ITERATIONS}`);
    }
    out.maxIterations = n;
  }
  return out;
}

export function validatePatterns(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw validation(field, `${field} must be a list of tool names or prefixes ending in '*'`);
  if (value.length > MAX_PATTERNS) throw validation(field, `${field} may hold at most ${MAX_PATTERNS} patterns`);
  return value.map((pattern: unknown, i) => {
    if (typeof pattern !== "string" || !TOOL_PATTERN.test(pattern)) {
      throw validation(
        `${field}[${i}]`,
        `${shown(pattern)} is not a tool pattern: use a name of 1–64 characters A-Z a-z 0-9 _ -, or up to 63 of them followed by one '*'`,
      );
    }
    return pattern;
  });
}

/** Client tools (SPEC §10, §11): unique names that no server tool uses, each with a JSON Schema object. */
export function validateClientTools(value: unknown, field: string, serverToolNames: readonly string[]): ClientTool[] {
  if (!Array.isArray(value)) throw validation(field, `${field} must be a list of {name, description, parameters}`);
  if (value.length > MAX_CLIENT_TOOLS) throw validation(field, `${field} may hold at most ${MAX_CLIENT_TOOLS} tools`);
  const seen = new Set<string>();
  return value.map((tool: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isJsonObject(tool)) throw validation(at, "A client tool must be an object with name, description and parameters");
    const { name, description, parameters } = tool;
    if (typeof name !== "string" || !TOOL_NAME.test(name)) {
      throw validation(`${at}.name`, `${shown(name)} is not a tool name: 1–64 characters A-Z a-z 0-9 _ -`);
    }
    if (serverToolNames.includes(name)) throw validation(`${at}.name`, `${name} is the name of a server tool; a client tool needs its own name`);
    if (seen.has(name)) throw validation(`${at}.name`, `client tool ${name} is listed twice`);
    seen.add(name);
    return {
      name,
      description: description === undefined || description === null ? null : boundedString(description, `${at}.description`, MAX_DESCRIPTION_LENGTH),
      parameters: parameters === undefined || parameters === null ? { type: "object" } : validateObjectSchema(parameters, `${at}.parameters`),
    };
  });
}

/** A JSON Schema for an arguments object: a JSON object with `"type": "object"`, within size bounds. */
export function validateObjectSchema(value: unknown, field: string): JsonObject {
  if (!isJsonObject(value) || value.type !== "object") {
    throw validation(field, `${field} must be a JSON Schema object, i.e. a JSON object with "type": "object"`);
  }
  if (deeperThan(value, MAX_SCHEMA_DEPTH)) throw validation(field, `${field} is nested deeper than ${MAX_SCHEMA_DEPTH} levels`);
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_SCHEMA_BYTES) throw validation(field, `${field} is larger than ${MAX_SCHEMA_BYTES} bytes`);
  return value;
}

/** Stops descending at the limit, so a hostile nesting cannot exhaust the stack. */
function deeperThan(value: JsonValue, levels: number): boolean {
  const children = Array.isArray(value) ? value : isJsonObject(value) ? Object.values(value) : null;
  if (children === null) return false;
  if (levels === 0) return true;
  return children.some((child) => deeperThan(child, levels - 1));
}

// Lengths count code points, as for session titles.
function boundedString(value: unknown, field: string, max: number): string {
  if (typeof value !== "string") throw validation(field, `${field} must be a string`);
  if ([...value].length > max) throw validation(field, `${field} must be at most ${max} characters`);
  return checkStorableString(value, field);
}

