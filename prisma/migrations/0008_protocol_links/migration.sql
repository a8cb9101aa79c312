-- AG-UI / AI SDK: a protocol's thread name → session (per owner), and AG-UI runs → turns (SPEC §13).
-- CreateTable
CREATE TABLE "ProtocolThread" (
    "ownerId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProtocolThread_pkey" PRIMARY KEY ("ownerId","externalId")
);

-- CreateTable
CREATE TABLE "ProtocolRun" (
    "sessionId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "turnId" TEXT NOT NULL,
    "startSequence" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProtocolRun_pkey" PRIMARY KEY ("sessionId","runId")
);

-- CreateIndex
CREATE INDEX "ProtocolThread_sessionId_idx" ON "ProtocolThread"("sessionId");

-- AddForeignKey
ALTER TABLE "ProtocolThread" ADD CONSTRAINT "ProtocolThread_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProtocolRun" ADD CONSTRAINT "ProtocolRun_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

