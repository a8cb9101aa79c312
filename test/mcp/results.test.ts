// MCP tools/call results → Parley content parts (pure mapping, every content kind).
import { describe, expect, it } from "vitest";
import { mapMcpResult } from "../../src/agent/tools/mcp/results.js";

describe("mapMcpResult", () => {
  it("keeps text and supported images, renders the other kinds as text", () => {
    const outcome = mapMcpResult({
      content: [
        { type: "text", text: "hello" },
        { type: "image", data: "AAAA", mimeType: "image/webp" },
        { type: "image", data: "AAAA", mimeType: "image/svg+xml" },
        { type: "audio", data: "AAAA", mimeType: "audio/wav" },
        { type: "resource_link", uri: "file:///a.txt", name: "a.txt" },
        { type: "resource", resource: { uri: "file:///b.txt", text: "inside b" } },
        { type: "resource", resource: { uri: "file:///c.bin", blob: "AAAA", mimeType: "application/octet-stream" } },
        { type: "something_new", value: 1 },
      ],
    });
    expect(outcome).toEqual({
      status: "success",
      error: null,
      result: [
        { type: "text", text: "hello" },
        { type: "image", base64: "AAAA", media_type: "image/webp" },
        { type: "text", text: "[image image/svg+xml, not shown]" },
        { type: "text", text: "[audio audio/wav, not shown]" },
        { type: "text", text: "[resource file:///a.txt (a.txt)]" },
        { type: "text", text: "inside b" },
        { type: "text", text: "[resource file:///c.bin (application/octet-stream), binary, not shown]" },
        { type: "text", text: '{"type":"something_new","value":1}' },
      ],
    });
  });

  it("uses structured content when there is no content", () => {
    expect(mapMcpResult({ content: [], structuredContent: { temperature: 21 } }).result).toEqual([{ type: "text", text: '{"temperature":21}' }]);
  });

  it("turns isError into status error with the text as the reason", () => {
    expect(mapMcpResult({ isError: true, content: [{ type: "text", text: "no such file" }] })).toEqual({
      status: "error",
      result: [{ type: "text", text: "no such file" }],
      error: "no such file",
    });
    expect(mapMcpResult({ isError: true, content: [] })).toMatchObject({ status: "error", error: "the tool reported an error" });
  });
});
