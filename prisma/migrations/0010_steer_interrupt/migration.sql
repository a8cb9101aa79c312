-- SPEC §11 "Messages during a turn": Message.delivery, and on Turn the claim order
-- (queueRank), the turn a STEER message joins (steeredIntoId, status STEERED once
-- a step took it in) and the reason a cross-instance cancel carries.
-- CreateEnum
CREATE TYPE "MessageDelivery" AS ENUM ('STARTED', 'QUEUED', 'STEERED');

-- AlterEnum
ALTER TYPE "TurnStatus" ADD VALUE 'STEERED';

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "delivery" "MessageDelivery";

-- AlterTable
ALTER TABLE "Turn" ADD COLUMN     "cancelReason" TEXT,
ADD COLUMN     "queueRank" INTEGER,
ADD COLUMN     "steeredIntoId" TEXT;

-- CreateIndex
CREATE INDEX "Turn_steeredIntoId_idx" ON "Turn"("steeredIntoId");

