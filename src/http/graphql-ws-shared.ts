// sessionEvents over graphql-ws on a shared live channel (src/http/graphql-shared.ts):
// the member writes the channel's serialized `next` payload to its socket
// as-is. graphql-ws itself never sees such an operation (src/http/graphql-ws.ts
// hands it here), so an idle member is one object: its connection, its
// operation id, its cursor and its log fields — no context, loaders, envelop
// instance, generator or closure.
import type { ExecutionResult, GraphQLError } from "graphql";
import type { WebSocket } from "ws";
import type { AppError } from "../errors.js";
import { errorCodesOf, type OperationNote } from "../graphql/observability.js";
import type { Logger } from "../log.js";
import type { Channel, MemberEnd, SharedFrame } from "../service/live-channels.js";
import { graphqlError } from "./errors.js";
import type { GraphQLMember } from "./graphql-shared.js";

/** Frames over this size go out as two WebSocket fragments, so every member's socket shares the payload's bytes. */
const SHARED_BYTES_FROM = 16 * 1024;

/** One operation's log line, filled in as it runs. */
export interface OperationLog extends OperationNote {
  requestId: string;
  errorCodes: string[];
  started: number;
  /** Counted against WS_MAX_SUBSCRIPTIONS (refused ones are not). */
  running: boolean;
}

/** What a member needs of its graphql-ws connection (src/http/graphql-ws.ts). */
export interface MemberHost {
  readonly socket: WebSocket;
  readonly logger: Logger;
  /** Closes the socket for a member too slow to keep up. */
  cutOff(error: AppError): void;
  /** The operation is over: its log line, and the connection forgets it. */
  finish(id: string, errors?: readonly GraphQLError[]): void;
}

/** A subscriber on a shared channel, and its operation's log record. */
export class SharedMember implements GraphQLMember, OperationLog {
  readonly where = "a graphql-ws subscription";
  sent = Number.MAX_SAFE_INTEGER;
  operationType: OperationLog["operationType"] = "subscription";
  errorCodes: string[] = [];
  started = performance.now();
  running = true;
  /** The client completed it, or its socket closed: nothing more is sent. */
  stopped = false;
  channel: Channel<SharedFrame> | undefined;

  constructor(
    readonly host: MemberHost,
    readonly id: string,
    readonly requestId: string,
    readonly operationName: string | null,
  ) {}

  buffered(): number {
    return this.host.socket.bufferedAmount;
  }

  send(frame: SharedFrame): void {
    const prefix = `{"id":${JSON.stringify(this.id)},"type":"next","payload":`;
    if (frame.text.length < SHARED_BYTES_FROM) return this.host.socket.send(`${prefix}${frame.text}}`);
    frame.bytes ??= Buffer.from(`${frame.text}}`);
    this.host.socket.send(prefix, { fin: false });
    this.host.socket.send(frame.bytes, { fin: true });
  }

  /** The channel ended it: a revoked key or the channel's end completes it, a failure answers its error first, a slow one is cut off. */
  end(why: MemberEnd): void {
    if (this.stopped) return;
    this.stopped = true;
    if (why.kind === "cut-off") {
      this.host.finish(this.id);
      return this.host.cutOff(why.error);
    }
    if (why.kind === "error") void this.write({ errors: [graphqlError(why.error, { logger: this.host.logger, requestId: this.requestId, where: `${this.where} stream` })] });
    this.host.socket.send(JSON.stringify({ id: this.id, type: "complete" }));
    this.host.finish(this.id);
  }

  /** The client completed it, or its socket closed: it leaves without a word. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.channel?.leave(this);
    this.host.finish(this.id);
  }

  /** One result of its own (a replayed event, an error), sent once the socket has taken it (backpressure for the replay). */
  write(result: ExecutionResult): Promise<void> {
    this.errorCodes.push(...errorCodesOf(result.errors));
    return new Promise((resolve) => this.host.socket.send(JSON.stringify({ id: this.id, type: "next", payload: result }), () => resolve()));
  }
}

