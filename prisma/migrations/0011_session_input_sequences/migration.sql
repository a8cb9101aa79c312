-- The sequences of a session's newest user message and newest STEER message,
-- kept by the statement that logs each: a running turn reads them under the
-- session's row lock, so a step looks for steered messages only when one was
-- logged since its last look, and a turn that ends with nothing queued (none
-- at its claim, no user message since) needs no look for a next turn.
-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "lastInputSequence" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "lastSteerSequence" INTEGER NOT NULL DEFAULT 0;
