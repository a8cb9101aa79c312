-- At most one RUNNING turn per session, enforced by the database: claiming a
-- turn is then one statement, and two instances racing for a session's turns
-- cannot both win (the loser gets a unique violation and claims nothing).
-- Prisma's schema language cannot express a partial index, so it lives here.
CREATE UNIQUE INDEX "Turn_one_running_per_session" ON "Turn" ("sessionId") WHERE "status" = 'RUNNING';
