// The `route` label of http_request_duration_seconds: the template of the
// route a path belongs to, or one `unmatched` label for everything else, so
// no request (unknown path, 401, 404, any id) can add a label series.
// REST templates come from the OpenAPI document, which a test keeps true to
// the routes; `{param}` is written `:id`.
import { openApiDocument, OPENAPI_PATH } from "./openapi.js";
import { GRAPHQL_PATH } from "./errors.js";

const EXACT = new Set([GRAPHQL_PATH, "/health", "/ready", "/metrics", "/", OPENAPI_PATH]);
/** Static asset folders: one label each, whatever the file. */
const PREFIXES = ["/web/", "/vendor/graphql-ws/", "/graphiql/"];
const TEMPLATES = Object.keys(openApiDocument.paths).map((template) => ({
  label: template.replace(/\{\w+\}/g, ":id"),
  pattern: new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`),
}));

export const UNMATCHED_ROUTE = "unmatched";

export function routeLabel(path: string): string {
  if (EXACT.has(path)) return path;
  const prefix = PREFIXES.find((p) => path.startsWith(p));
  if (prefix) return `${prefix}*`;
  return TEMPLATES.find((t) => t.pattern.test(path))?.label ?? UNMATCHED_ROUTE;
}
