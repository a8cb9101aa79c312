// The seeds' REST API, replayed request by request (with our id formats), on
// both backends: shapes field by field, and every error status.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { rest } from "../support/http.js";
import { startServer } from "../support/server.js";
import { collectSse } from "../support/sse.js";

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DEMO_MODEL = "model_01933b5a000070008000000000000001";

for (const backend of await backends()) {
  describe(`REST on ${backend.name}`, () => {
    let url: string;
    let close: () => Promise<void>;
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => rest(url, method, path, body, headers);
    const newSession = async () => (await call("POST", "/v1/sessions", {})).body.id as string;

    beforeAll(async () => {
      ({ url, close } = await startServer(backend, { DEMO_DELAY_MS: "0" }));
    });
    afterAll(async () => {
      await close?.();
      await backend.cleanup();
    });

    it("POST /v1/sessions → 201 with the session in snake_case", async () => {
      const res = await call("POST", "/v1/sessions", { title: "Support", locale: "uk-UA", model_id: DEMO_MODEL, tags: ["a"], hints: { rich_media: true }, metadata: { k: 1 } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ title: "Support", status: "started", locale: "uk-UA", model_id: DEMO_MODEL, tags: ["a"], hints: { rich_media: true }, metadata: { k: 1 } });
      expect(res.body.id).toMatch(/^session_[0-9a-f]{32}$/);
      expect(res.body.created_at).toMatch(RFC3339);
      const got = await call("GET", `/v1/sessions/${res.body.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({ ...res.body, updated_at: got.body.updated_at });
    });

    it("replays the seed's create-message example (controls, external actor, metadata, tags)", async () => {
      const sessionId = await newSession();
      const res = await call("POST", `/v1/sessions/${sessionId}/messages`, {
        controls: { error_disclosure: "generic", hints: { setup_connection: true }, locale: "uk-UA", model_id: DEMO_MODEL, reasoning: { effort: "low" }, max_tokens: 256 },
        external_actor: { actor_id: "U0123456789", metadata: { team_id: "T1" }, source: "slack" },
        message: { content: [{ text: "Why is the build failing on main?", type: "text" }], role: "user" },
        metadata: { source: "slack", thread_ts: "1715000000.123456" },
        tags: ["bug-report", "from-slack"],
      });
      expect(res.status).toBe(201);
      const m = res.body;
      expect(m.id).toMatch(/^message_[0-9a-f]{32}$/);
      expect(m).toMatchObject({
        session_id: sessionId,
        role: "user",
        content: [{ type: "text", text: "Why is the build failing on main?" }],
        controls: { error_disclosure: "generic", hints: { setup_connection: true }, locale: "uk-UA", model_id: DEMO_MODEL, reasoning: { effort: "low" }, max_tokens: 256 },
        external_actor: { actor_id: "U0123456789", actor_name: "U0123456789", metadata: { team_id: "T1" }, source: "slack" },
        metadata: { source: "slack", thread_ts: "1715000000.123456" },
        tags: ["bug-report", "from-slack"],
        phase: null,
      });
      expect(m.created_at).toMatch(RFC3339);
    });

    it("replays the seed's image example: upload, then an image_file part", async () => {
      const form = new FormData();
      form.append("file", new Blob([PNG], { type: "image/png" }), "photo.png");
      const up = await fetch(`${url}/v1/images`, { method: "POST", body: form });
      expect(up.status).toBe(201);
      const image = (await up.json()) as Record<string, unknown>;
      expect(image).toMatchObject({ filename: "photo.png", media_type: "image/png", byte_size: PNG.length });
      expect(image.id).toMatch(/^img_[0-9a-f]{32}$/);
      expect(image.url).toBe(`${url}/v1/images/${image.id}/content`);

      const sessionId = await newSession();
      const res = await call("POST", `/v1/sessions/${sessionId}/messages`, {
        message: { content: [{ type: "text", text: "What is in this image?" }, { type: "image_file", image_id: image.id, filename: "photo.png" }] },
      });
      expect(res.status).toBe(201);
      expect(res.body.content).toEqual([{ type: "text", text: "What is in this image?" }, { type: "image_file", image_id: image.id, filename: "photo.png" }]);
    });

    it("lists messages as {data, total} in the seeds' order and shapes after a tool turn", async () => {
      const sessionId = await newSession();
      await call("POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [{ type: "text", text: "what is 12*(3+4)?" }] } });
      await collectSse(`${url}/v1/sessions/${sessionId}/sse?after_sequence=0`, (e: { type: string }) => e.type === "session.idled");
      const res = await call("GET", `/v1/sessions/${sessionId}/messages`);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(4);
      const [user, call1, tool, answer] = res.body.data;
      expect(user.role).toBe("user");
      expect(call1).toMatchObject({ role: "agent", phase: "commentary", content: [{ type: "tool_call", name: "calculator", arguments: { expression: "12*(3+4)" } }] });
      expect(tool).toMatchObject({ role: "tool_result", content: [{ type: "tool_result", tool_call_id: call1.content[0].id, content: [{ type: "text", text: "84" }], is_error: false }] });
      expect(answer).toMatchObject({ role: "agent", phase: "final_answer" });
      expect(answer.content[0].text).toContain("84");
      for (const m of res.body.data) expect(Object.keys(m)).toEqual(expect.arrayContaining(["id", "session_id", "role", "content", "created_at"]));
    });

    it("uses client_message_id as the idempotency key", async () => {
      const sessionId = await newSession();
      const body = { message: { content: [{ type: "text", text: "once" }] }, client_message_id: "abc-1" };
      const a = await call("POST", `/v1/sessions/${sessionId}/messages`, body);
      const b = await call("POST", `/v1/sessions/${sessionId}/messages`, body);
      expect(b.body.id).toBe(a.body.id);
      const c = await call("POST", `/v1/sessions/${sessionId}/messages`, { ...body, message: { content: [{ type: "text", text: "other" }] } });
      expect(c.status).toBe(409);
      expect(c.body).toMatchObject({ status: 409 });
    });

    it("cancels idempotently", async () => {
      const sessionId = await newSession();
      const res = await call("POST", `/v1/sessions/${sessionId}/cancel`);
      expect(res).toMatchObject({ status: 200, body: { status: "no_op" } });
    });

    it("answers errors as {error, status}: 400, 404, 422", async () => {
      const sessionId = await newSession();
      const unknown = "session_0193000000007000800000000000abcd";
      const cases: [string, string, unknown, number][] = [
        ["GET", "/v1/sessions/sess_123", undefined, 400],
        ["GET", `/v1/sessions/${unknown}`, undefined, 404],
        ["POST", `/v1/sessions/not-an-id/messages`, { message: { content: [{ type: "text", text: "x" }] } }, 400],
        ["POST", `/v1/sessions/${unknown}/messages`, { message: { content: [{ type: "text", text: "x" }] } }, 404],
        ["POST", `/v1/sessions/${sessionId}/messages`, "{not json", 400],
        ["POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [] } }, 422],
        ["POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [{ type: "image", url: "ftp://x/y.png" }] } }, 422],
        ["POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [{ type: "image_file", image_id: "img_0193000000007000800000000000abcd" }] } }, 404],
        ["POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [{ type: "text", text: "x" }], role: "agent" } }, 422],
        ["GET", `/v1/sessions/${unknown}/messages`, undefined, 404],
        ["POST", `/v1/sessions/${unknown}/cancel`, undefined, 404],
        ["GET", `/v1/sessions/${unknown}/sse`, undefined, 404],
        ["GET", `/v1/sessions/${sessionId}/sse?since_id=nope`, undefined, 400],
      ];
      for (const [method, path, body, status] of cases) {
        const res = await call(method, path, body);
        expect({ path, status: res.status }).toEqual({ path, status });
        expect(res.body).toEqual({ error: expect.any(String), status });
      }
      const invalid = await call("POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [{ type: "text", text: "" }] } });
      expect(invalid.body.error).toContain("message.content[0].text");
      // Nothing was stored by the rejected requests.
      expect((await call("GET", `/v1/sessions/${sessionId}/messages`)).body.total).toBe(0);
    });

    it("resumes SSE after Last-Event-ID mid-turn and gets every later event once, deltas included", async () => {
      const sessionId = await newSession();
      const long = Array.from({ length: 40 }, (_, i) => `token${i}`).join(" ");
      await call("POST", `/v1/sessions/${sessionId}/messages`, { message: { content: [{ type: "text", text: long }] } });
      type Ev = { id: string; type: string; sequence: number; data: { delta?: string; message?: { content: { text: string }[] } } };
      // Disconnect after the third delta...
      const head = await collectSse<Ev>(`${url}/v1/sessions/${sessionId}/sse?after_sequence=0`, (_, all) => all.filter((e) => e.type === "output.message.delta").length === 3);
      const last = head.at(-1)!;
      // ...and resume from it.
      const tail = await collectSse<Ev>(`${url}/v1/sessions/${sessionId}/sse`, (e) => e.type === "session.idled", { headers: { "last-event-id": last.id } });
      const all = [...head, ...tail];
      expect(all.map((e) => e.sequence)).toEqual(all.map((_, i) => i + 1));
      const deltas = all.filter((e) => e.type === "output.message.delta").map((e) => e.data.delta).join("");
      const completed = all.find((e) => e.type === "output.message.completed")!;
      expect(deltas).toBe(completed.data.message!.content[0]!.text);
      // since_id and after_sequence resume the same way; types/exclude filter (prefix too).
      const viaSince = await collectSse<Ev>(`${url}/v1/sessions/${sessionId}/sse?since_id=${last.id}&types=turn.*,session.idled`, (e) => e.type === "session.idled");
      expect(viaSince.map((e) => e.type)).toEqual(["turn.completed", "session.idled"]);
      const viaSeq = await collectSse<Ev>(`${url}/v1/sessions/${sessionId}/sse?after_sequence=1&exclude=output.message.delta&exclude=turn.started`, (e) => e.type === "session.idled");
      expect(viaSeq.map((e) => e.type)).toEqual(["input.message", "session.activated", "output.message.started", "output.message.completed", "turn.completed", "session.idled"]);
    });

    it("streams SSE frames as event/id/data", async () => {
      const sessionId = await newSession();
      const controller = new AbortController();
      const res = await fetch(`${url}/v1/sessions/${sessionId}/sse?after_sequence=0`, { signal: controller.signal });
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const reader = res.body!.getReader();
      const { value } = await reader.read();
      controller.abort();
      const text = new TextDecoder().decode(value);
      expect(text).toMatch(/^event: session\.started\nid: event_[0-9a-f]{32}\ndata: \{.*"sequence":1.*\}\n\n/);
    });
  });
}
