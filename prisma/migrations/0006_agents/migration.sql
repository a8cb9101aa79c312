-- Agents (SPEC §10): the Agent table and Session.agentId (null = the default agent;
-- deleting an agent sets its sessions' agentId to null). Additive: existing rows keep working.
-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "agentId" TEXT;

-- CreateTable
CREATE TABLE "Agent" (
    "id" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "instructions" TEXT,
    "modelId" TEXT,
    "tools" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "approvalRequired" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "clientTools" JSONB NOT NULL DEFAULT '[]',
    "maxIterations" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Agent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Agent_ownerId_id_idx" ON "Agent"("ownerId", "id" DESC);

-- CreateIndex
CREATE INDEX "Session_agentId_idx" ON "Session"("agentId");

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;

