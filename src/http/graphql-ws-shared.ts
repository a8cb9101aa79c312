// sessionEvents over graphql-ws on a shared live channel (src/service/live-channels.ts):
// operations with the same document (by hash), operation name, variables
// (`after` aside), owner and image base share one channel per session, which
// executes each live event once through the schema and writes the serialized
// `next` payload to every member's socket as-is. A member holds its socket,
// its operation id and a cursor; the context for its replay is built only when
// it has something to replay. Anything else (another operation, a document
// this cannot read, a failing check) runs the ordinary per-operation path,
// which answers exactly as before.
import { createHash } from "node:crypto";
import {
  execute,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
} from "graphql";
import type { WebSocket } from "ws";
import type { StoredEvent } from "../domain/events.js";
import { stableStringify } from "../domain/stable-json.js";
import type { AppError } from "../errors.js";
import { createContext, type GraphQLContext } from "../graphql/context.js";
import type { Logger } from "../log.js";
import type { Actor } from "../service/context.js";
import type { Services } from "../service/index.js";
import type { Member, MemberEnd, SharedFrame } from "../service/live-channels.js";
import { graphqlError } from "./errors.js";
import type { ImageLinks } from "./image-url.js";

/** Frames over this size go out as two WebSocket fragments, so every member's socket shares the payload's bytes. */
const SHARED_BYTES_FROM = 16 * 1024;

/** A live event's `next` payload, serialized once per channel; `bytes` is `text + "}"`, made by the first member that needs it. */
type Frame = SharedFrame;

export interface SharedDeps {
  services: Services;
  logger: Logger;
  imageLinks: ImageLinks;
  actorFor(req: { headers: Record<string, string | string[] | undefined> }): Promise<Actor>;
}

export interface SharedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  headers: Record<string, string | string[] | undefined>;
  socket: WebSocket;
  id: string;
  requestId: string;
  cutOff(error: AppError): void;
}

/** The member's stream for graphql-ws (yields its replayed results, then waits while the channel writes), or null: run it the ordinary way. */
export async function sharedSessionEvents(deps: SharedDeps, op: SharedOperation): Promise<AsyncGenerator<ExecutionResult> | null> {
  const field = soleSessionEventsField(op.document, op.operationName);
  if (!field) return null;
  const definition = op.schema.getSubscriptionType()?.getFields().sessionEvents;
  const operation = getOperationAST(op.document, op.operationName);
  if (!definition || !operation) return null;
  const coerced = getVariableValues(op.schema, operation.variableDefinitions ?? [], op.variables ?? {});
  if (coerced.errors) return null;
  let actor: Actor;
  let checked: { sessionId: string; after: number | null };
  const args = getArgumentValues(definition, field, coerced.coerced) as { sessionId: unknown; after?: number | null; types?: string[] | null; exclude?: string[] | null };
  try {
    actor = await deps.actorFor({ headers: op.headers });
    checked = await deps.services.events.check(actor, args);
  } catch {
    return null; // the ordinary path answers with the same error, shaped as always
  }
  const imageUrl = (imageId: string) => deps.imageLinks.urlFor({ headers: op.headers }, imageId);
  // The base of image URLs comes from the request's Host (without PUBLIC_URL); a signed URL's query changes every second.
  const key = channelKey(op, field, coerced.coerced, actor, imageUrl("-").split("?")[0]!);
  const filter = { sessionId: checked.sessionId, types: args.types, exclude: args.exclude };
  const events = deps.services.events;
  const run = (event: StoredEvent, contextValue: GraphQLContext) =>
    execute({ schema: op.schema, document: op.document, operationName: op.operationName, variableValues: coerced.coerced, rootValue: event, contextValue }) as Promise<ExecutionResult>;
  const scene = (requestId: string) => ({ logger: deps.logger, requestId, where: "a graphql-ws subscription" });
  const shaped = (result: ExecutionResult, requestId: string): ExecutionResult =>
    result.errors?.length ? { ...result, errors: result.errors.map((error) => graphqlError(error, scene(requestId))) } : result;

  let ended!: (why: MemberEnd) => void;
  const end = new Promise<MemberEnd>((resolve) => (ended = resolve));
  const prefix = `{"id":${JSON.stringify(op.id)},"type":"next","payload":`;
  const socket = op.socket;
  const member: Member<Frame> = {
    sent: checked.after ?? Number.MAX_SAFE_INTEGER,
    buffered: () => socket.bufferedAmount,
    send(frame) {
      if (frame.text.length < SHARED_BYTES_FROM) return socket.send(`${prefix}${frame.text}}`);
      frame.bytes ??= Buffer.from(`${frame.text}}`);
      socket.send(prefix, { fin: false });
      socket.send(frame.bytes, { fin: true });
    },
    end(why) {
      if (why.kind === "cut-off") op.cutOff(why.error);
      ended(why);
    },
  };
  const channel = events.channels.graphql.enter(
    key,
    () => {
      // The channel's own context: the owner's, built once; each event clears its loaders (the field's resolver).
      const requestId = op.requestId;
      const contextValue = createContext({ actor, services: deps.services, requestId, imageUrl });
      return events.channelSource<Frame>(actor, filter, async (event) => ({ text: JSON.stringify(shaped(await run(event, contextValue), requestId)) }));
    },
    member,
  );

  let stopped = false;
  async function* stream(): AsyncGenerator<ExecutionResult> {
    try {
      await channel.ready;
      if (member.sent === Number.MAX_SAFE_INTEGER) member.sent = channel.sent; // live only: from where the channel is
      let contextValue: GraphQLContext | undefined; // only a member that replays needs one
      while (!stopped && !channel.tryJoin(member)) {
        const page = await events.replayPage(actor, filter, member.sent);
        for (const event of page.events) {
          if (stopped) return;
          contextValue ??= createContext({ actor, services: deps.services, requestId: op.requestId, imageUrl });
          yield shaped(await run(event, contextValue), op.requestId);
          member.sent = event.sequence;
          channel.took(member);
        }
        member.sent = Math.max(member.sent, page.through ?? channel.sent);
      }
      contextValue = undefined;
      const why = await end;
      if (why.kind === "error") yield { errors: [graphqlError(why.error, { ...scene(op.requestId), where: "a graphql-ws subscription stream" })] };
    } catch (error) {
      yield { errors: [graphqlError(error, { ...scene(op.requestId), where: "a graphql-ws subscription stream" })] };
    } finally {
      channel.leave(member);
    }
  }
  const generator = stream();
  // return() must not wait for a generator parked on `end`: settle it first.
  const originalReturn = generator.return.bind(generator);
  generator.return = (value) => {
    stopped = true;
    channel.leave(member);
    ended({ kind: "complete" });
    return originalReturn(value);
  };
  return generator;
}

/** The root field when the operation is exactly one `sessionEvents` field (no directives, no fragments). */
function soleSessionEventsField(document: DocumentNode, operationName?: string | null): FieldNode | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== "subscription" || document.definitions.length !== 1) return null;
  const [selection, ...rest] = operation.selectionSet.selections;
  if (!selection || rest.length > 0 || selection.kind !== Kind.FIELD || selection.name.value !== "sessionEvents" || selection.directives?.length) return null;
  return selection;
}

/** Document hash, operation name, owner, image base and the variables — all but a variable used only as the field's `after`. */
function channelKey(op: SharedOperation, field: FieldNode, variables: Record<string, unknown>, actor: Actor, imageBase: string): string {
  const afterArg = field.arguments?.find((a) => a.name.value === "after");
  let perMember: string | null = afterArg?.value.kind === Kind.VARIABLE ? afterArg.value.name.value : null;
  if (perMember) {
    let uses = 0;
    visit(op.document, { Variable: (node) => void (node.name.value === perMember && uses++) });
    if (uses !== 2) perMember = null; // its definition and the one use; used elsewhere too, it is part of the key
  }
  const shared = Object.fromEntries(Object.entries(variables).filter(([name]) => name !== perMember));
  const hash = createHash("sha256").update(op.query).digest("base64url");
  return stableStringify([actor.ownerId, hash, op.operationName ?? null, shared, imageBase]);
}
