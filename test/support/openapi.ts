// Every REST answer an e2e test receives is checked against the served
// OpenAPI document (src/http/openapi.ts): the operation's response schema for
// that status, compiled with Ajv's JSON Schema 2020-12 (OpenAPI 3.1's dialect).
// A response the document does not describe, or describes differently, fails
// the test that got it — so the document cannot drift from the routes.
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { openApiDocument } from "../../src/http/openapi.js";

const DOC_ID = "https://parley.invalid/openapi.json";
const ajv = new Ajv2020({ strict: false, allErrors: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ ...openApiDocument, $id: DOC_ID });

type Operation = { responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }> };
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
const templates = Object.keys(openApiDocument.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`),
}));
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

/** Throws when a JSON answer does not match its documented response schema. */
export function checkAgainstOpenApi(method: string, path: string, status: number, body: unknown): void {
  const bare = path.split("?")[0]!;
  const match = templates.find((t) => t.pattern.test(bare));
  if (!match) throw new Error(`OpenAPI: ${method} ${bare} is not documented`);
  const item = (openApiDocument.paths as unknown as Record<string, Record<string, Operation>>)[match.template]!;
  const operation = item[method.toLowerCase()];
  if (!operation) {
    if (status === 405) return; // a wrong method is answered, not documented
    throw new Error(`OpenAPI: ${method} ${match.template} is not documented`);
  }
  const key = operation.responses[String(status)] ? String(status) : null;
  if (!key) throw new Error(`OpenAPI: ${method} ${match.template} answered ${status}, which is not documented`);
  const response = operation.responses[key]!;
  const ref = response.$ref
    ? `${DOC_ID}#/components/responses/Error/content/application~1json/schema`
    : response.content?.["application/json"]
      ? `${DOC_ID}#/${pointer("paths", match.template, method.toLowerCase(), "responses", key, "content", "application/json", "schema")}`
      : null;
  if (!ref) return; // not JSON (SSE, image bytes, 204)
  let validate = validators.get(ref);
  if (!validate) validators.set(ref, (validate = ajv.compile({ $ref: ref })));
  if (!validate(body)) throw new Error(`OpenAPI: ${method} ${bare} ${status} does not match the document: ${ajv.errorsText(validate.errors)} — ${JSON.stringify(body).slice(0, 300)}`);
}
