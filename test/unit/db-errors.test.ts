// One unique-violation check for both drivers and both query styles.
import { afterAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { isUniqueViolation } from "../../src/db/errors.js";

for (const backend of await backends()) {
  describe(`isUniqueViolation on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    it("recognizes duplicates from Prisma queries, raw SQL and the direct path, and nothing else", async () => {
      const db = await backend.open();
      try {
        await db.prisma.session.create({ data: { id: "dup", ownerId: "o" } });
        const viaPrisma = await db.prisma.session.create({ data: { id: "dup", ownerId: "o" } }).catch((e: unknown) => e);
        const viaRaw = await db.prisma.$queryRawUnsafe(`INSERT INTO "Session" ("id", "ownerId", "updatedAt") VALUES ('dup', 'o', now())`).catch((e: unknown) => e);
        const viaDirect = await db.sql.$queryRawUnsafe(`INSERT INTO "Session" ("id", "ownerId", "updatedAt") VALUES ('dup', 'o', now())`).catch((e: unknown) => e);
        const other = await db.prisma.$queryRawUnsafe(`SELECT * FROM "NoSuchTable"`).catch((e: unknown) => e);
        const otherDirect = await db.sql.$queryRawUnsafe(`SELECT * FROM "NoSuchTable"`).catch((e: unknown) => e);
        expect(isUniqueViolation(viaPrisma)).toBe(true);
        expect(isUniqueViolation(viaRaw)).toBe(true);
        expect(isUniqueViolation(viaDirect)).toBe(true);
        expect(isUniqueViolation(other)).toBe(false);
        expect(isUniqueViolation(otherDirect)).toBe(false);
      } finally {
        await db.close();
      }
    });
  });
}
