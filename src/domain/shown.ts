// How a bad input value is quoted in an error message: short, and never the
// whole of a huge or nested value.

/** A short rendering of a bad value for error messages. */
export function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return "an object";
  return String(value);
}
