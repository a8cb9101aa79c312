// Agents, always scoped by owner: another key's agent reads exactly like an
// unknown id (SPEC §7, §10), because the owner is part of every WHERE.
import type { Prisma } from "../db/client.js";
import type { Agent } from "../generated/prisma/client.js";
import type { Prisma as P } from "../generated/prisma/client.js";
import type { AgentFields, ClientTool, NewAgentFields } from "../domain/agents.js";
import { newId } from "../ids.js";

export type { Agent };

/** Where a page starts (the service has checked the size and the cursors). */
export interface AgentPageArgs {
  after?: string | null;
  before?: string | null;
}

const clientTools = (tools: ClientTool[] | undefined) => tools as unknown as P.InputJsonValue | undefined;

export class AgentStore {
  constructor(private readonly prisma: Prisma) {}

  create(ownerId: string, fields: NewAgentFields): Promise<Agent> {
    const now = new Date();
    return this.prisma.agent.create({
      data: { id: newId("agent"), ownerId, ...fields, clientTools: clientTools(fields.clientTools)!, createdAt: now, updatedAt: now },
    });
  }

  async get(ownerId: string, id: string): Promise<Agent | null> {
    return this.prisma.agent.findFirst({ where: { id, ownerId } });
  }

  getMany(ownerId: string, ids: readonly string[]): Promise<Agent[]> {
    return this.prisma.agent.findMany({ where: { id: { in: [...ids] }, ownerId } });
  }

  /** Replaces the given fields; null when not found. */
  async update(ownerId: string, id: string, fields: AgentFields): Promise<Agent | null> {
    const { count } = await this.prisma.agent.updateMany({
      where: { id, ownerId },
      data: { ...fields, clientTools: clientTools(fields.clientTools) },
    });
    return count === 0 ? null : this.get(ownerId, id);
  }

  /** Deletes the agent; the database sets `agentId` to null on the sessions that named it. */
  async delete(ownerId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.agent.deleteMany({ where: { id, ownerId } });
    return count > 0;
  }

  /** Newest first; cursors are agent ids (which sort by creation time). */
  async page(ownerId: string, args: AgentPageArgs, size: number, backward: boolean) {
    const cursor = backward ? args.before : args.after;
    const rows = await this.prisma.agent.findMany({
      where: { ownerId, ...(cursor ? { id: backward ? { gt: cursor } : { lt: cursor } } : {}) },
      orderBy: { id: backward ? "asc" : "desc" },
      take: size + 1,
    });
    const hasMore = rows.length > size;
    const nodes = rows.slice(0, size);
    if (backward) nodes.reverse();
    return { nodes, hasMore, count: () => this.prisma.agent.count({ where: { ownerId } }) };
  }
}
