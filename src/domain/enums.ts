// The enumerations of the data model, spelled as GraphQL and the database
// spell them (REST lowercases them). The database's enums must hold the same
// values: test/unit/layering.test.ts compares them with the Prisma schema's.

export const SessionStatus = { STARTED: "STARTED", ACTIVE: "ACTIVE", IDLE: "IDLE", WAITING_FOR_TOOL_RESULTS: "WAITING_FOR_TOOL_RESULTS" } as const;
export type SessionStatus = (typeof SessionStatus)[keyof typeof SessionStatus];

export const MessageRole = { SYSTEM: "SYSTEM", USER: "USER", AGENT: "AGENT", TOOL_RESULT: "TOOL_RESULT" } as const;
export type MessageRole = (typeof MessageRole)[keyof typeof MessageRole];

export const MessagePhase = { COMMENTARY: "COMMENTARY", FINAL_ANSWER: "FINAL_ANSWER" } as const;
export type MessagePhase = (typeof MessagePhase)[keyof typeof MessagePhase];

export const ErrorDisclosure = { GENERIC: "GENERIC", STANDARD: "STANDARD", DETAILED: "DETAILED" } as const;
export type ErrorDisclosure = (typeof ErrorDisclosure)[keyof typeof ErrorDisclosure];

export const TurnStatus = { QUEUED: "QUEUED", RUNNING: "RUNNING", COMPLETED: "COMPLETED", FAILED: "FAILED", CANCELLED: "CANCELLED", WAITING: "WAITING" } as const;
export type TurnStatus = (typeof TurnStatus)[keyof typeof TurnStatus];
