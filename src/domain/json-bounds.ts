// Bounds on every JSON value a client (or a model) hands us, checked before
// anything reaches a store. Deeply nested JSON is an attack on the embedded
// database (PGlite's WASM runs out of stack on a jsonb ~1,500 levels deep and
// takes the whole process with it) and on Prisma (≥127 levels); PostgreSQL's
// jsonb also refuses NUL and lone surrogates in strings. The walk is
// iterative, so a hostile depth cannot overflow our own stack either.
// A `__proto__` key is refused everywhere (session hints and metadata, message
// metadata, controls, external actors): JavaScript gives that one name a
// meaning, so a copy or a key-by-key merge would drop it or swap an object's
// prototype; refusing it means what is accepted reads back equal.
import { validation } from "../errors.js";

export const MAX_JSON_DEPTH = 32;
export const MAX_JSON_BYTES = 256 * 1024;

// A NUL, or a UTF-16 surrogate that is not part of a pair.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `value` cannot be stored as JSON, or null when it can. */
export function jsonBoundsViolation(value: unknown, maxDepth = MAX_JSON_DEPTH, maxBytes = MAX_JSON_BYTES): string | null {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node === "string") {
      if (UNSTORABLE.test(node)) return "contains a NUL character or an unpaired surrogate";
      continue;
    }
    if (typeof node === "number" && !Number.isFinite(node)) return "contains a number that JSON cannot hold";
    if (typeof node !== "object" || node === null) continue;
    if (depth > maxDepth) return `is nested deeper than ${maxDepth} levels`;
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1]);
    } else {
      // JSON.parse keeps `__proto__` as an own key; graphql-js' literal parsing assigns it, which swaps the prototype.
      const proto = Object.getPrototypeOf(node);
      if (Object.hasOwn(node, "__proto__") || (proto !== Object.prototype && proto !== null)) return 'has a "__proto__" key';
      for (const [key, item] of Object.entries(node)) {
        if (UNSTORABLE.test(key)) return "has a key with a NUL character or an unpaired surrogate";
        stack.push([item, depth + 1]);
      }
    }
  }
  // Depth is bounded now, so serializing cannot recurse out of control.
  if (Buffer.byteLength(JSON.stringify(value) ?? "") > maxBytes) return `is larger than ${maxBytes} bytes as JSON`;
  return null;
}

/** Throws VALIDATION_FAILED naming `field` when a string cannot be stored (PostgreSQL text refuses NUL too). */
export function checkStorableString(value: string, field: string): string {
  if (UNSTORABLE.test(value)) throw validation(field, `${field} contains a NUL character or an unpaired surrogate`);
  return value;
}

/** Throws VALIDATION_FAILED naming `field` when `value` is out of bounds. */
export function checkJsonBounds(value: unknown, field: string): void {
  const violation = jsonBoundsViolation(value);
  if (violation) throw validation(field, `${field} ${violation}`);
}
