// A real peer for the history read: PostGraphile 5 (amber preset) over the
// same PostgreSQL database (DATABASE_URL), serving its schema read-only (no
// mutations). The bench asks it the equivalent page: the newest `last`
// messages of a session with id, role and content
// (PEER_HISTORY_QUERY in bench/scenarios/history.ts).
import "./promise-with-resolvers.js";
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { installMemoryProbe } from "../lib/memory-probe.js";
import { serveBaseline } from "../lib/baseline-server.js";

installMemoryProbe();

const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  // Read-only; and ordering by "sequence" without an index of its own: Message's
  // (sessionId, sequence) unique index already serves the page's WHERE + ORDER BY.
  disablePlugins: ["PgMutationCreatePlugin", "PgMutationUpdateDeletePlugin", "PgIndexBehaviorsPlugin"],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL!, schemas: ["public"] })],
  grafserv: { graphqlPath: "/graphql", watch: false },
  grafast: { explain: false },
});

const server = createServer();
const serv = pgl.createServ(grafserv);
serv.addTo(server);
await pgl.getSchema(); // build the schema before reporting ready
serveBaseline(server, () => pgl.release());
