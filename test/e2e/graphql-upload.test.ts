// uploadImage (GraphQL multipart request) and the bytes behind Image.url, on
// both backends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../support/backends.js";
import { gql, gqlData, type GqlResponse } from "../support/clients.js";
import { createSession, RFC3339, UNKNOWN } from "../support/fixtures.js";
import { startServer, type TestServer } from "../support/server.js";

// A real 1×1 PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const UPLOAD = `mutation($file: File!) { uploadImage(file: $file) { id filename mediaType byteSize url createdAt } }`;

/** A GraphQL multipart request (graphql-multipart-request-spec) with one file. */
async function upload(url: string, bytes: Buffer, filename: string, type: string, headers: Record<string, string> = { "x-graphql-yoga-csrf": "1" }): Promise<GqlResponse> {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: UPLOAD, variables: { file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", new Blob([new Uint8Array(bytes)], { type }), filename);
  const res = await fetch(`${url}/graphql`, { method: "POST", body: form, headers, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, headers: res.headers, ...((await res.json()) as object) };
}

for (const backend of await backends()) {
  describe(`uploadImage on ${backend.name}`, () => {
    let server: TestServer;
    let url: string;

    beforeAll(async () => {
      server = await startServer(backend);
      url = server.url;
    });
    afterAll(async () => {
      await server?.close();
      await backend.cleanup();
    });

    it("stores a PNG, and Image.url serves its bytes", async () => {
      const res = await upload(url, PNG, "dot.png", "application/octet-stream");
      expect(res.errors).toBeUndefined();
      const image = res.data.uploadImage;
      expect(image).toMatchObject({ filename: "dot.png", mediaType: "image/png", byteSize: PNG.length });
      expect(image.id).toMatch(/^img_[0-9a-f]{32}$/);
      expect(image.createdAt).toMatch(RFC3339);
      expect(image.url).toBe(`${url}/v1/images/${image.id}/content`);

      const bytes = await fetch(image.url);
      expect(bytes.status).toBe(200);
      expect(bytes.headers.get("content-type")).toBe("image/png");
      expect(bytes.headers.get("content-length")).toBe(String(PNG.length));
      expect(bytes.headers.get("cache-control")).toMatch(/^private, max-age=\d+$/);
      expect(bytes.headers.get("x-content-type-options")).toBe("nosniff");
      expect(Buffer.from(await bytes.arrayBuffer()).equals(PNG)).toBe(true);

      const cached = await fetch(image.url, { headers: { "if-none-match": bytes.headers.get("etag")! } });
      expect(cached.status).toBe(304);
      const head = await fetch(image.url, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(PNG.length));
    });

    it("is readable as a node and through an image_file part of a message", async () => {
      const { id } = (await upload(url, PNG, "photo.png", "image/png")).data.uploadImage;
      const sessionId = await createSession(url);
      const { createMessage } = await gqlData(
        url,
        `mutation($input: CreateMessageInput!) { createMessage(input: $input) {
          content { __typename ... on ImageFilePart { imageId filename image { id mediaType url } } } } }`,
        { input: { sessionId, message: { content: [{ text: { text: "what is this?" } }, { imageFile: { imageId: id, filename: "renamed.png" } }] } } },
      );
      expect(createMessage.content[1]).toEqual({
        __typename: "ImageFilePart",
        imageId: id,
        filename: "renamed.png",
        image: { id, mediaType: "image/png", url: `${url}/v1/images/${id}/content` },
      });
      const { node } = await gqlData(url, `query($id: ID!) { node(id: $id) { __typename ... on Image { byteSize } } }`, { id });
      expect(node).toEqual({ __typename: "Image", byteSize: PNG.length });
    });

    it("rejects a file that is not an image with VALIDATION_FAILED on `file`", async () => {
      const res = await upload(url, Buffer.from("just some text"), "notes.png", "image/png");
      expect(res.status).toBe(200);
      expect(res.data ?? null).toBeNull();
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", status: 422, field: "file" });
    });

    it("needs the CSRF header on a multipart request", async () => {
      const res = await upload(url, PNG, "dot.png", "image/png", {});
      expect(res.status).toBe(403);
    });

    it("answers 404 for an unknown image and 400 for a malformed id", async () => {
      const unknown = await fetch(`${url}/v1/images/${UNKNOWN.img}/content`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ status: 404 });
      const malformed = await fetch(`${url}/v1/images/img_nope/content`);
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ status: 400 });
      expect((await gql(url, `query($id: ID!) { node(id: $id) { id } }`, { id: UNKNOWN.img })).data).toEqual({ node: null });
    });
  });
}
