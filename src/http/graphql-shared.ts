// sessionEvents on a shared live channel (src/service/live-channels.ts), for
// graphql-ws (src/http/graphql-ws-shared.ts) and GraphQL SSE
// (src/http/graphql-sse-shared.ts) alike: operations with the same document
// (by hash), operation name, variables (`after` aside), owner and image base
// share one channel per session, which executes each live event once through
// the schema and hands the serialized `next` payload to every member as-is.
// Each member replays the stored events after its own `after` itself (with
// the context built only when it has something to replay), then joins.
// Anything else (another operation, a document this cannot read, a failing
// check) runs the transport's ordinary path, which answers exactly as before.
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
import type { StoredEvent } from "../domain/events.js";
import type { EventPage } from "../store/events.js";
import { stableStringify } from "../domain/stable-json.js";
import { createContext, type GraphQLContext } from "../graphql/context.js";
import type { Logger } from "../log.js";
import type { Actor } from "../service/context.js";
import type { Services } from "../service/index.js";
import type { Channel, Member, SharedFrame } from "../service/live-channels.js";
import { graphqlError } from "./errors.js";
import type { ImageLinks } from "./image-url.js";

export interface SharedDeps {
  services: Services;
  logger: Logger;
  imageLinks: ImageLinks;
  actorFor(req: { headers: Record<string, string | string[] | undefined> }): Promise<Actor>;
  /** Counts a subscription that joined a channel, as yoga's operation reports count the others. */
  started(): void;
}

export interface SharedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  headers: Record<string, string | string[] | undefined>;
}

/** A member of a GraphQL channel, whatever its transport. */
export interface GraphQLMember extends Member<SharedFrame> {
  readonly requestId: string;
  /** Where its errors happen, for the log line of an unexpected one (e.g. "a graphql-ws subscription"). */
  readonly where: string;
  /** The client went, or its stream ended: nothing more is sent. */
  readonly stopped: boolean;
  channel: Channel<SharedFrame> | undefined;
  /** One result of its own (a replayed event, an error), resolved once its transport has taken it (backpressure for the replay). */
  write(result: ExecutionResult): Promise<void>;
}

/**
 * Joins `member` to the shared channel of its operation and starts its replay;
 * false when the operation is not one a channel can serve (the ordinary path
 * runs it and answers whatever it answers).
 */
export async function joinSharedChannel(deps: SharedDeps, op: SharedOperation, member: GraphQLMember): Promise<boolean> {
  const field = soleSessionEventsField(op.document, op.operationName);
  if (!field) return false;
  const definition = op.schema.getSubscriptionType()?.getFields().sessionEvents;
  const operation = getOperationAST(op.document, op.operationName);
  if (!definition || !operation) return false;
  const coerced = getVariableValues(op.schema, operation.variableDefinitions ?? [], op.variables ?? {});
  if (coerced.errors) return false;
  let actor: Actor;
  let checked: { sessionId: string; after: number | null };
  const args = getArgumentValues(definition, field, coerced.coerced) as { sessionId: unknown; after?: number | null; types?: string[] | null; exclude?: string[] | null };
  try {
    actor = await deps.actorFor({ headers: op.headers });
    checked = await deps.services.events.check(actor, args);
  } catch {
    return false; // the ordinary path answers with the same error, shaped as always
  }
  if (member.stopped) return true; // completed while it was checked
  const headers = op.headers;
  const imageUrl = (imageId: string) => deps.imageLinks.urlFor({ headers }, imageId);
  // The base of image URLs comes from the request's Host (without PUBLIC_URL); a signed URL's query changes every second.
  const key = channelKey(op, field, coerced.coerced, actor, imageUrl("-").split("?")[0]!);
  const filter = { sessionId: checked.sessionId, types: args.types, exclude: args.exclude };
  const events = deps.services.events;
  const { schema, document, operationName } = op;
  const variableValues = coerced.coerced;
  const { requestId, where } = member;
  const run = (event: StoredEvent, contextValue: GraphQLContext): Promise<ExecutionResult> =>
    Promise.resolve(execute({ schema, document, operationName, variableValues, rootValue: event, contextValue })).then((result) =>
      result.errors?.length ? { ...result, errors: result.errors.map((error) => graphqlError(error, { logger: deps.logger, requestId, where })) } : result,
    );

  const channel = events.channels.graphql.enter(
    key,
    () => {
      // The channel's own context: the owner's, built once; each event clears its loaders (the field's resolver).
      const contextValue = createContext({ actor, services: deps.services, requestId, imageUrl });
      return events.channelSource<SharedFrame>(actor, filter, async (event) => ({ text: JSON.stringify(await run(event, contextValue)) }));
    },
    member,
  );
  member.channel = channel;
  member.sent = checked.after ?? Number.MAX_SAFE_INTEGER;

  void replayThenJoin(member, channel, {
    page: (after) => events.replayPage(actor, filter, after),
    context: () => createContext({ actor, services: deps.services, requestId, imageUrl }),
    run,
  });
  deps.started();
  return true;
}

interface Replay {
  page(after: number): Promise<EventPage>;
  context(): GraphQLContext;
  run(event: StoredEvent, contextValue: GraphQLContext): Promise<ExecutionResult>;
}

/**
 * Sends the member the stored events after its cursor, page by page, each
 * once its socket has taken the one before, until it reaches the channel and
 * joins it. Module-level, so nothing of it stays with a member that joined.
 */
async function replayThenJoin(member: GraphQLMember, channel: Channel<SharedFrame>, replay: Replay): Promise<void> {
  try {
    await channel.ready;
    if (member.sent === Number.MAX_SAFE_INTEGER) member.sent = channel.sent; // live only: from where the channel is
    let contextValue: GraphQLContext | undefined; // only a member that replays needs one
    while (!member.stopped && !channel.tryJoin(member)) {
      const page = await replay.page(member.sent);
      for (const event of page.events) {
        if (member.stopped) return;
        contextValue ??= replay.context();
        await member.write(await replay.run(event, contextValue));
        member.sent = event.sequence;
        channel.took(member);
      }
      member.sent = Math.max(member.sent, page.through ?? channel.sent);
    }
  } catch (error) {
    channel.leave(member);
    member.end({ kind: "error", error });
  }
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
