// Every enum Parley shows, spelled once: the GraphQL name (also the database's
// enum label) and the REST spelling (also the stored JSON's, as in events and
// message `controls`). REST parsing and shaping, the GraphQL enums and the
// REST error wording all read these tables, so a new value is one line here.
import { validation } from "../errors.js";

export const SESSION_STATUS = { STARTED: "started", ACTIVE: "active", IDLE: "idle", WAITING_FOR_TOOL_RESULTS: "waiting_for_tool_results" } as const;
export const MESSAGE_ROLE = { SYSTEM: "system", USER: "user", AGENT: "agent", TOOL_RESULT: "tool_result" } as const;
export const MESSAGE_PHASE = { COMMENTARY: "commentary", FINAL_ANSWER: "final_answer" } as const;
export const ERROR_DISCLOSURE = { GENERIC: "generic", STANDARD: "standard", DETAILED: "detailed" } as const;
/** What happened to a user message when it was posted during a turn, or not (SPEC §11). */
export const MESSAGE_DELIVERY = { STARTED: "started", QUEUED: "queued", STEERED: "steered" } as const;

/** Older spellings REST still accepts on input (the first docs called tool results `tool`). */
const REST_ALIASES: ReadonlyMap<EnumTable, Readonly<Record<string, string>>> = new Map<EnumTable, Record<string, string>>([
  [MESSAGE_ROLE, { tool: "TOOL_RESULT" }],
]);

export type EnumTable = Readonly<Record<string, string>>;
/** The GraphQL names of a table ("USER" | "AGENT" | …). */
export type EnumName<T extends EnumTable> = keyof T & string;
/** The REST spellings of a table ("user" | "agent" | …). */
export type EnumRest<T extends EnumTable> = T[keyof T];

/** The GraphQL names, in declaration order (for the GraphQL enum types). */
export const enumNames = <T extends EnumTable>(table: T) => Object.keys(table) as EnumName<T>[];

/** The REST spelling of a GraphQL name. */
export const restSpelling = <T extends EnumTable, K extends EnumName<T>>(table: T, name: K): T[K] => table[name];

/** The GraphQL name of a REST spelling (aliases included); undefined when it is none. */
export function fromRestSpelling<T extends EnumTable>(table: T, value: string): EnumName<T> | undefined {
  const alias = REST_ALIASES.get(table)?.[value];
  if (alias) return alias as EnumName<T>;
  return enumNames(table).find((name) => table[name] === value);
}

/** A REST value, or VALIDATION_FAILED naming `field` and listing the accepted spellings. */
export function parseRestEnum<T extends EnumTable>(table: T, value: string, field: string): EnumName<T> {
  const name = fromRestSpelling(table, value);
  if (name) return name;
  const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  throw validation(field, `${field} must be one of ${Object.values(table).join(", ")}; got ${shown}`);
}

/** Every table, for translating GraphQL enum names in messages into REST spellings. */
export const ENUM_TABLES: readonly EnumTable[] = [SESSION_STATUS, MESSAGE_ROLE, MESSAGE_PHASE, ERROR_DISCLOSURE, MESSAGE_DELIVERY];
/** A turn's state in the queue (REST's wait mode shows it as `turn_status`, see turnStatusOf). STEERED: a STEER message another turn took in. */
export const TURN_STATUS = {
  QUEUED: "queued",
  RUNNING: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  CANCELLED: "cancelled",
  WAITING: "waiting_for_tool_results",
  STEERED: "steered",
} as const;

/** A table's GraphQL names as values (`SessionStatus.IDLE === "IDLE"`), which are also the database's enum labels. */
const namesOf = <T extends EnumTable>(table: T) => Object.fromEntries(enumNames(table).map((n) => [n, n])) as { [K in EnumName<T>]: K };

// The database's enums must hold exactly these values: test/unit/layering.test.ts compares them with Prisma's.
export const SessionStatus = namesOf(SESSION_STATUS);
export type SessionStatus = EnumName<typeof SESSION_STATUS>;
export const MessageRole = namesOf(MESSAGE_ROLE);
export type MessageRole = EnumName<typeof MESSAGE_ROLE>;
export const MessagePhase = namesOf(MESSAGE_PHASE);
export type MessagePhase = EnumName<typeof MESSAGE_PHASE>;
export const ErrorDisclosure = namesOf(ERROR_DISCLOSURE);
export type ErrorDisclosure = EnumName<typeof ERROR_DISCLOSURE>;
export const MessageDelivery = namesOf(MESSAGE_DELIVERY);
export type MessageDelivery = EnumName<typeof MESSAGE_DELIVERY>;
export const TurnStatus = namesOf(TURN_STATUS);
export type TurnStatus = EnumName<typeof TURN_STATUS>;
