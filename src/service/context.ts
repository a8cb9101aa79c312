// What every service call needs to know about its caller.
export interface Actor {
  /** Tenant: the API key id, or LOCAL_OWNER with AUTH=none. */
  ownerId: string;
}

export const LOCAL_OWNER = "local";

/** The turn runner as the services see it (the agent module implements it). */
export interface TurnScheduler {
  /** A new turn was queued for the session: run it when the session is free. */
  wake(sessionId: string): void;
  /** Stops the session's running turn; "no_op" when none runs. */
  cancel(sessionId: string): Promise<"cancelled" | "no_op">;
  /** Ends the running or waiting turn `turnId` as `interrupted` (an INTERRUPT message is queued ahead), then runs the queue. */
  interrupt(sessionId: string, turnId: string): Promise<void>;
}
