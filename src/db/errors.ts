// Driver differences in one place: a unique violation is P2002 from Prisma's
// own queries, and P2010 (raw query failed) carrying the driver's 23505 from
// raw SQL — with the code in a different field for PGlite and for pg — and
// the driver's own error (code 23505) from the direct path (src/db/direct.ts).
export function isUniqueViolation(error: unknown): boolean {
  const e = error as {
    code?: string;
    cause?: { code?: string; originalCode?: string };
    meta?: { driverAdapterError?: { cause?: { code?: string; originalCode?: string; kind?: string } } };
  };
  const driver = e?.meta?.driverAdapterError?.cause;
  return (
    e?.code === "P2002" ||
    e?.code === "23505" ||
    e?.cause?.code === "23505" ||
    e?.cause?.originalCode === "23505" ||
    driver?.code === "23505" ||
    driver?.originalCode === "23505" ||
    driver?.kind === "UniqueConstraintViolation"
  );
}

/**
 * A failed raw query with the driver's own message: Prisma's says only "Raw
 * query failed … Message: `undefined`" through the PGlite adapter, which
 * keeps the real one (e.g. `relation "Event" does not exist`) in its meta.
 */
export function withDriverMessage(error: unknown): unknown {
  const driver = (error as { meta?: { driverAdapterError?: { cause?: { message?: string } } } })?.meta?.driverAdapterError?.cause;
  if (!driver?.message || !(error instanceof Error) || error.message.includes(driver.message)) return error;
  return new Error(`raw query failed: ${driver.message}`, { cause: error });
}
