// The Model table: which models a message may name, and each one's maximum
// error disclosure. The demo model is seeded by migration 0002.
import type { Prisma } from "../db/client.js";
import type { DirectSql } from "../db/direct.js";
import type { Model } from "../generated/prisma/client.js";

export type { Model };
export const DEMO_MODEL_ID = "model_01933b5a000070008000000000000001";

export class ModelStore {
  constructor(
    private readonly prisma: Prisma,
    private readonly sql: DirectSql,
  ) {}

  list(): Promise<Model[]> {
    return this.prisma.model.findMany({ orderBy: { name: "asc" } });
  }

  /** Every turn reads its model: fixed SQL (src/db/direct.ts). */
  async get(id: string): Promise<Model | null> {
    const [row] = await this.sql.$queryRawUnsafe<Model[]>(`SELECT * FROM "Model" WHERE "id" = $1`, id);
    return row ?? null;
  }

  getMany(ids: readonly string[]): Promise<Model[]> {
    return this.prisma.model.findMany({ where: { id: { in: [...ids] } } });
  }

  /** Registers a provider model (idempotent by name), e.g. the configured OpenAI model. */
  ensure(model: { id: string; name: string; provider: string; maxErrorDisclosure: Model["maxErrorDisclosure"] }): Promise<Model> {
    return this.prisma.model.upsert({ where: { name: model.name }, create: model, update: {} });
  }
}
