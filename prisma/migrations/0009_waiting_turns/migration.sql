-- AlterEnum
ALTER TYPE "SessionStatus" ADD VALUE 'WAITING_FOR_TOOL_RESULTS';

-- AlterEnum
ALTER TYPE "TurnStatus" ADD VALUE 'WAITING';

-- AlterTable
ALTER TABLE "Turn" ADD COLUMN     "agent" JSONB,
ADD COLUMN     "resuming" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "PendingToolCall" (
    "turnId" TEXT NOT NULL,
    "toolCallId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "toolName" TEXT NOT NULL,
    "arguments" JSONB NOT NULL,
    "kind" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'WAITING',
    "answer" JSONB,
    "outcome" TEXT,
    "requestedAt" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3),

    CONSTRAINT "PendingToolCall_pkey" PRIMARY KEY ("turnId","toolCallId")
);

-- CreateIndex
CREATE INDEX "PendingToolCall_sessionId_toolCallId_idx" ON "PendingToolCall"("sessionId", "toolCallId");

-- CreateIndex
CREATE INDEX "PendingToolCall_state_expiresAt_idx" ON "PendingToolCall"("state", "expiresAt");

-- AddForeignKey
ALTER TABLE "PendingToolCall" ADD CONSTRAINT "PendingToolCall_turnId_fkey" FOREIGN KEY ("turnId") REFERENCES "Turn"("id") ON DELETE CASCADE ON UPDATE CASCADE;

