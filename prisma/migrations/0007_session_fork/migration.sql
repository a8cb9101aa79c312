-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "forkedFromSequence" INTEGER,
ADD COLUMN     "forkedFromSessionId" TEXT;

