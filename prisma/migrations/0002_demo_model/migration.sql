-- The demo model exists in every database (SPEC §4); its id is fixed so
-- clients and tests can name it.
INSERT INTO "Model" ("id", "name", "provider", "maxErrorDisclosure")
VALUES ('model_01933b5a000070008000000000000001', 'demo', 'demo', 'DETAILED')
ON CONFLICT DO NOTHING;
