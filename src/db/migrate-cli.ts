// `npm run db:migrate`: apply pending migrations and exit.
import { loadConfig } from "../config.js";
import { openDatabase } from "./client.js";

const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
await db.close();
process.stdout.write(`migrations applied (${db.kind}: ${db.location})\n`);
