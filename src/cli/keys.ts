// `npm run --silent keys:create -- --name X`, `keys:list`, `keys:revoke -- --id key_…`.
// Output is JSON lines, so scripts can read it. With embedded PGlite the data
// directory lock makes this exit at once while a server holds the directory.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { openDatabase, type Database } from "../db/client.js";
import { ApiKeyStore } from "../store/api-keys.js";
import { isId } from "../ids.js";

const usage = "usage: keys create --name NAME | keys list | keys revoke --id key_…";

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({ args: rest, options: { name: { type: "string" }, id: { type: "string" } }, strict: true });
  if (command === "create" && !values.name?.trim()) return fail(`--name is required\n${usage}`);
  if (command === "revoke" && !isId("key", values.id)) return fail(`--id must be a key id (key_ + 32 hex)\n${usage}`);
  if (!["create", "list", "revoke"].includes(command ?? "")) return fail(usage);

  const config = loadConfig();
  let db: Database | undefined;
  try {
    db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    const keys = new ApiKeyStore(db.prisma);
    if (command === "create") {
      print(await keys.create(values.name!.trim()));
    } else if (command === "list") {
      for (const key of await keys.list()) print(key);
    } else {
      const key = await keys.revoke(values.id!);
      if (!key) return fail(`no key ${values.id}`);
      print(key);
    }
    return 0;
  } finally {
    await db?.close();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const fail = (message: string) => {
  process.stderr.write(`keys: ${message}\n`);
  return 2;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`keys: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
    process.exit(1);
  },
);
