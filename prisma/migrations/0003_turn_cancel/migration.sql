-- AlterTable
ALTER TABLE "Turn" ADD COLUMN     "cancelRequested" BOOLEAN NOT NULL DEFAULT false;

