// Driver differences in one place: a unique violation is P2002 through
// adapter-pg but a raw driver error with cause code 23505 through PGlite.
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string; originalCode?: string }; meta?: { driverAdapterError?: { cause?: { code?: string } } } };
  return (
    e?.code === "P2002" ||
    e?.cause?.code === "23505" ||
    e?.cause?.originalCode === "23505" ||
    e?.meta?.driverAdapterError?.cause?.code === "23505"
  );
}
