// Domain errors: one class, one table of codes → statuses (SPEC §5). How they
// reach clients (GraphQL extensions, REST `{ error, status }`, masking of
// anything else) is the one error responder's job: src/http/errors.ts.

export const ERROR_STATUS = {
  INVALID_ID: 400,
  /** Malformed request (bad JSON, wrong content type): REST only. */
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 422,
  NOT_FOUND: 404,
  /** A REST route asked with a method it does not serve (answered with `Allow`): REST only. */
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "AppError";
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what: string, id: string) => new AppError("NOT_FOUND", `${what} ${id} not found`);
export const validation = (field: string, message: string) => new AppError("VALIDATION_FAILED", message, field);
