// A safe arithmetic evaluator (never eval): a recursive-descent parser over
// numbers, + - * / % ^, unary minus and parentheses.

export class CalcError extends Error {}

export function evaluate(expression: string): number {
  const src = expression.replace(/\s+/g, "");
  if (src.length === 0) throw new CalcError("empty expression");
  if (src.length > 500) throw new CalcError("expression too long");
  let pos = 0;
  const peek = () => src[pos];
  const eat = (ch: string) => (src[pos] === ch ? (pos++, true) : false);

  // expr := term (('+'|'-') term)*
  const expr = (): number => {
    let value = term();
    for (;;) {
      if (eat("+")) value += term();
      else if (eat("-")) value -= term();
      else return value;
    }
  };
  // term := power (('*'|'/'|'%') power)*
  const term = (): number => {
    let value = power();
    for (;;) {
      if (eat("*")) value *= power();
      else if (eat("/")) {
        const divisor = power();
        if (divisor === 0) throw new CalcError("division by zero");
        value /= divisor;
      } else if (eat("%")) {
        const divisor = power();
        if (divisor === 0) throw new CalcError("modulo by zero");
        value %= divisor;
      } else return value;
    }
  };
  // power := unary ('^' power)?   (right-associative)
  const power = (): number => {
    const base = unary();
    return eat("^") ? base ** power() : base;
  };
  // unary := ('-'|'+') unary | atom
  const unary = (): number => (eat("-") ? -unary() : eat("+") ? unary() : atom());
  const atom = (): number => {
    if (eat("(")) {
      const value = expr();
      if (!eat(")")) throw new CalcError(`expected ")" at position ${pos + 1}`);
      return value;
    }
    const match = /^(\d+(\.\d+)?|\.\d+)/.exec(src.slice(pos));
    if (!match) throw new CalcError(peek() === undefined ? "unexpected end of expression" : `unexpected "${peek()}" at position ${pos + 1}`);
    pos += match[0].length;
    return Number(match[0]);
  };

  const result = expr();
  if (pos < src.length) throw new CalcError(`unexpected "${peek()}" at position ${pos + 1}`);
  if (!Number.isFinite(result)) throw new CalcError("result is not a finite number");
  return result;
}

/** Finds an arithmetic expression in free text ("what is 12*(3+4)?" → "12*(3+4)"), or null. */
export function findExpression(text: string): string | null {
  const candidates = text.match(/[-+*/%^().\d\s]+/g) ?? [];
  for (const raw of candidates) {
    const candidate = raw.trim();
    // Needs a number, an operator between operands, and must parse.
    if (!/\d/.test(candidate) || !/[\d)]\s*[-+*/%^]\s*[-+(.\d]/.test(candidate)) continue;
    try {
      evaluate(candidate);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

/** Formats a result without float noise (0.1+0.2 → 0.3). */
export const formatNumber = (n: number) => String(Number(n.toPrecision(12)));
