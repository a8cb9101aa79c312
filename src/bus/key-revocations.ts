// A revoked key ends its open streams at once on every instance (SPEC §7).
// `keys revoke` commits the revocation and, in the same transaction, NOTIFYs
// KEY_REVOKED_CHANNEL with the key id; every server on that PostgreSQL
// database LISTENs and ends the key's streams and graphql-ws sockets. The
// periodic re-check (AUTH_RECHECK_MS) stays as the net for a notification
// missed while the LISTEN connection was down. With embedded PGlite the CLI
// cannot run while a server holds the directory, so there is nothing to hear.
import pg from "pg";
import type { Logger } from "../log.js";
import { KEY_REVOKED_CHANNEL } from "../store/api-keys.js";

export type RevocationListener = () => void;

/** In-process listeners per key id. */
export class KeyRevocations {
  private readonly listeners = new Map<string, Set<RevocationListener>>();

  watch(keyId: string, listener: RevocationListener): () => void {
    let set = this.listeners.get(keyId);
    if (!set) this.listeners.set(keyId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(keyId) === set) this.listeners.delete(keyId);
    };
  }

  revoked(keyId: string): void {
    for (const listener of [...(this.listeners.get(keyId) ?? [])]) listener();
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

/** LISTENs for revocations on PostgreSQL, reconnecting with backoff; resolves once the first attempt is done. */
export async function listenForRevocations(databaseUrl: string, revocations: KeyRevocations, logger: Logger): Promise<{ close(): Promise<void> }> {
  let client: pg.Client | undefined;
  let closing = false;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  const retry = () => {
    if (closing || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };
  const connect = async () => {
    const next = new pg.Client({ connectionString: databaseUrl, application_name: "parley-key-revocations" });
    next.on("error", (err) => logger.warn({ err }, "key revocation listener: connection error; streams of revoked keys end at the next re-check"));
    next.on("end", () => {
      if (client === next) client = undefined;
      retry();
    });
    next.on("notification", (message) => {
      if (message.channel === KEY_REVOKED_CHANNEL && message.payload) revocations.revoked(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${KEY_REVOKED_CHANNEL}`);
      if (closing) return void (await next.end().catch(() => {}));
      client = next;
      retryMs = RETRY_MIN_MS;
    } catch (err) {
      logger.warn({ err }, "key revocation listener: cannot LISTEN; retrying");
      await next.end().catch(() => {});
    }
  };

  await connect();
  return {
    async close() {
      closing = true;
      clearTimeout(timer);
      await client?.end().catch(() => {});
    },
  };
}
