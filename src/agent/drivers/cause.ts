// fetch hides the network reason (ECONNREFUSED, ENOTFOUND…) in `cause`; a
// DETAILED error should say it.

/** " (cause: connect ECONNREFUSED 127.0.0.1:9)": the causes `message` does not already say. */
export function causeChain(message: string, cause: unknown): string {
  const reasons: string[] = [];
  for (let c = cause, depth = 0; c instanceof Error && depth < 4; c = c.cause, depth++) {
    if (c.message && !message.includes(c.message)) reasons.push(c.message);
  }
  return reasons.length > 0 ? ` (cause: ${reasons.join(": ")})` : "";
}
