-- The sequence of a session's newest STEER message: a running turn's step looks
-- for steered messages only when one was logged since its last look (one
-- statement fewer per step when none was).
-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "lastSteerSequence" INTEGER NOT NULL DEFAULT 0;
