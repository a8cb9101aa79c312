// What a new user hits first on REST, on both backends: every query parameter
// is validated (422 naming it, never a 500 from the database), `role=tool` is
// the older docs' spelling of tool_result, error messages use REST's names
// (snake_case paths, lowercase enums, client_message_id) while GraphQL keeps
// its own, a wrong method is 405 with Allow, and the CSRF and cross-site
// refusals say what to do.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gql } from "../support/clients.js";
import { PNG, rest, uploadForm } from "../support/http.js";
import { startServer, type TestServer } from "../support/server.js";

for (const backend of await backends()) {
  describe(`REST wording on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;
    let sessionId: string;

    beforeAll(async () => {
      server = await startServer(backend);
      url = server.url;
      sessionId = (await rest(url, "POST", "/v1/sessions", {})).body.id;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    const text = (t = "hi") => ({ content: [{ type: "text", text: t }] });
    const expectInvalid = (res: { status: number; body: any }, pattern: RegExp) => {
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body).toEqual({ error: expect.stringMatching(pattern), status: 422 });
    };

    describe("query parameters", () => {
      it("role=tool is accepted as tool_result; role=tool_result, agent and user filter as documented", async () => {
        const id = (await rest(url, "POST", "/v1/sessions", {})).body.id;
        await rest(url, "POST", `/v1/sessions/${id}/messages`, { message: text("what is 6*7?") });
        // The demo agent calls its calculator: user, agent (tool call), tool_result, agent (answer).
        let all: any;
        for (let i = 0; i < 200; i++) {
          all = (await rest(url, "GET", `/v1/sessions/${id}/messages`)).body;
          if (all.data.some((m: any) => m.phase === "final_answer")) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const roles = all.data.map((m: any) => m.role);
        expect(roles).toContain("tool_result");
        const viaOldName = await rest(url, "GET", `/v1/sessions/${id}/messages?role=tool`);
        const viaName = await rest(url, "GET", `/v1/sessions/${id}/messages?role=tool_result`);
        expect(viaOldName.status).toBe(200);
        expect(viaOldName.body).toEqual(viaName.body);
        expect(viaName.body.data.map((m: any) => m.role)).toEqual(roles.filter((r: string) => r === "tool_result"));
        const two = await rest(url, "GET", `/v1/sessions/${id}/messages?role=user,agent`);
        expect(two.body.total).toBe(roles.filter((r: string) => r !== "tool_result").length);
      });

      it("an unknown role, status, or a bad limit is 422 naming the parameter, never a 500", async () => {
        expectInvalid(await rest(url, "GET", `/v1/sessions/${sessionId}/messages?role=bogus`), /^role must be one of system, user, agent, tool_result; got "bogus"$/);
        expectInvalid(await rest(url, "GET", `/v1/sessions/${sessionId}/messages?role=user&role=USER`), /^role must be one of .*; got "USER"$/);
        expectInvalid(await rest(url, "GET", "/v1/sessions?status=bogus"), /^status must be one of started, active, idle, waiting_for_tool_results; got "bogus"$/);
        expectInvalid(await rest(url, "GET", "/v1/sessions?limit=-1"), /^limit must be a non-negative integer$/);
        expectInvalid(await rest(url, "GET", "/v1/sessions?limit=ten"), /^limit must be/);
        expectInvalid(await rest(url, "GET", `/v1/sessions/${sessionId}/messages?limit=1001`), /^limit must be at most 1000$/);
        expectInvalid(await rest(url, "GET", `/v1/sessions/${sessionId}/sse?after_sequence=-3`), /^after_sequence must be a non-negative integer$/);
        // A malformed id in `after` is INVALID_ID (400) like any malformed id, and names the parameter.
        const after = await rest(url, "GET", "/v1/sessions?after=bogus");
        expect(after.status).toBe(400);
        expect(after.body.error).toMatch(/^after: Invalid session id "bogus"/);
      });

      it("valid values still filter: status=started lists the new session", async () => {
        const res = await rest(url, "GET", "/v1/sessions?status=started&limit=500");
        expect(res.status).toBe(200);
        expect(res.body.data.map((s: any) => s.id)).toContain(sessionId);
        expect(new Set(res.body.data.map((s: any) => s.status))).toEqual(new Set(["started"]));
      });
    });

    describe("error messages speak REST", () => {
      const post = (body: unknown) => rest(url, "POST", `/v1/sessions/${sessionId}/messages`, body);

      it("snake_case field paths and lowercase enum values", async () => {
        const cases: [unknown, number, string][] = [
          [{ message: text(), controls: { model_id: "nope" } }, 400, 'controls.model_id: Invalid model id "nope": expected model_ followed by 32 lowercase hex digits'],
          [{ message: text(), controls: { error_disclosure: "loud" } }, 422, "controls.error_disclosure: error_disclosure must be generic, standard or detailed"],
          [{ message: text(), controls: { max_tokens: 0 } }, 422, "controls.max_tokens: max_tokens must be a positive integer"],
          [{ message: text(), external_actor: { actor_id: "a", metadata: 3 } }, 422, "external_actor.metadata must be a JSON object"],
          [{ message: text(), external_actor: { metadata: {} } }, 422, "external_actor.actor_id: actor_id is required and must be a non-empty string"],
          [{ message: { content: [{ type: "text", text: "x" }, { type: "image_file", image_id: "zz" }] } }, 400, 'message.content[1].image_id: Invalid img id "zz": expected img_ followed by 32 lowercase hex digits'],
          [{ message: { content: [{ type: "image", base64: "AAAA" }] } }, 422, "message.content[0].media_type: media_type is required with base64"],
          [{ message: { ...text(), role: "agent" } }, 422, 'message.role: Input messages must have role user, got "agent"'],
          [{ message: text(), client_message_id: 5 }, 422, "client_message_id must be a non-empty string of at most 255 characters"],
        ];
        for (const [body, status, error] of cases) expect(await post(body)).toMatchObject({ status, body: { error, status } });
        const session = await rest(url, "POST", "/v1/sessions", { model_id: "x" });
        expect(session.body.error).toBe('model_id: Invalid model id "x": expected model_ followed by 32 lowercase hex digits');
      });

      it("a CONFLICT on a reused client_message_id names client_message_id", async () => {
        const body = { message: text("once"), client_message_id: "wording-1" };
        expect((await post(body)).status).toBe(201);
        const conflict = await post({ ...body, message: text("another") });
        expect(conflict.status).toBe(409);
        expect(conflict.body.error).toBe('client_message_id "wording-1" was already used with a different message');
      });

      it("a client's own value is quoted as sent, never respelled", async () => {
        const res = await rest(url, "POST", "/v1/sessions", { locale: "USER_maxTokens" });
        expect(res.body.error).toBe('locale: "USER_maxTokens" is not a valid BCP 47 language tag');
      });

      it("GraphQL keeps its own names for the same mistakes", async () => {
        const res = await gql(url, `mutation($s: ID!) { createMessage(input: { sessionId: $s, controls: { maxTokens: 0, modelId: "model_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b" }, message: { content: [{ text: { text: "x" } }] } }) { id } }`, { s: sessionId });
        expect(res.errors?.[0]).toMatchObject({ message: "maxTokens must be a positive integer", extensions: { code: "VALIDATION_FAILED", field: "controls.maxTokens" } });
      });
    });

    it("a wrong method on a REST route is 405 with Allow", async () => {
      const cases: [string, string, string][] = [
        ["PUT", "/v1/sessions", "POST, GET, HEAD"],
        ["DELETE", "/v1/sessions", "POST, GET, HEAD"],
        ["POST", `/v1/sessions/${sessionId}`, "GET, HEAD, PATCH, DELETE"],
        ["GET", `/v1/sessions/${sessionId}/cancel`, "POST"],
        ["PUT", "/v1/images/img_0190a1b2c3d47e8f9a0b1c2d3e4f5a6b/content", "GET, HEAD"],
      ];
      for (const [method, path, allow] of cases) {
        const res = await rest(url, method, path, method === "GET" ? undefined : {});
        expect({ method, path, status: res.status, allow: res.headers.get("allow") }).toEqual({ method, path, status: 405, allow });
        expect(res.body).toEqual({ error: `Method ${method} is not allowed on ${path}; allowed: ${allow}`, status: 405 });
      }
    });

    describe("refusals say what to do", () => {
      it("a GraphQL CSRF refusal names content-type: application/json and the x-graphql-yoga-csrf header", async () => {
        const get = await fetch(`${url}/graphql?query=${encodeURIComponent("{ models { id } }")}`, { headers: { accept: "application/json" } });
        expect(get.status).toBe(403);
        const body = (await get.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
        expect(body.errors).toEqual([{ message: expect.stringContaining("content-type: application/json"), extensions: { code: "FORBIDDEN", status: 403 } }]);
        expect(body.errors[0]!.message).toContain("x-graphql-yoga-csrf");
        const upload = await fetch(`${url}/graphql`, { method: "POST", body: uploadForm(PNG) });
        expect(upload.status).toBe(403);
        expect(JSON.stringify(await upload.json())).toContain("x-graphql-yoga-csrf");
      });

      it("a REST cross-site refusal names ALLOWED_ORIGINS and the origin", async () => {
        const res = await fetch(`${url}/v1/sessions`, { method: "POST", headers: { origin: "https://evil.example", "content-type": "text/plain" }, body: "{}" });
        expect(res.status).toBe(403);
        const body = (await res.json()) as { error: string; status: number };
        expect(body.status).toBe(403);
        expect(body.error).toContain("ALLOWED_ORIGINS");
        expect(body.error).toContain("https://evil.example");
      });
    });
  });
}
