// Writers for Anthropic's Messages API streaming wire format (`event: <type>`
// then `data: <json>`), for the fake provider of turn tests.
import type { ServerResponse } from "node:http";

export { closeFakeServers, fakeServer, type Captured, type FakeServer } from "./fake-provider.js";

function send(res: ServerResponse, data: { type: string } & Record<string, unknown>) {
  res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

function startMessage(res: ServerResponse) {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "request-id": "req_fake" });
  send(res, {
    type: "message_start",
    message: {
      id: "msg_01FakeFakeFake",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5-20250929",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
    },
  });
}

function endMessage(res: ServerResponse, stopReason: string) {
  send(res, { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 7 } });
  send(res, { type: "message_stop" });
  res.end();
}

/** A whole answer streamed as one text block. */
export function anthropicText(res: ServerResponse, text: string) {
  startMessage(res);
  send(res, { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
  send(res, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });
  send(res, { type: "content_block_stop", index: 0 });
  endMessage(res, "end_turn");
}

/** One tool_use block with its input streamed as JSON. */
export function anthropicToolUse(res: ServerResponse, id: string, name: string, input: object) {
  startMessage(res);
  send(res, { type: "content_block_start", index: 0, content_block: { type: "tool_use", id, name, input: {} } });
  send(res, { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(input) } });
  send(res, { type: "content_block_stop", index: 0 });
  endMessage(res, "tool_use");
}
