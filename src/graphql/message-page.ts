// The history page in one statement. `session(id) { messages(…) { … } }` is
// the hottest read; answered plainly it is two statements (the session, then
// its page) reading every Message column. When a `session` selection asks for
// nothing but its id and one `messages` field, the session resolver reads the
// page itself (the owner check is inside the page's SQL: not the owner's
// reads as null), narrowed to the columns the selection reads, and hands it
// to Session.messages. Any other selection takes the plain path.
import { getArgumentValues, isObjectType, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import type { MessageColumn } from "../store/messages.js";
import type { Session } from "../store/sessions.js";
import type { MessagePageArgs } from "../service/messages.js";
import type { GraphQLContext } from "./context.js";

type Page = NonNullable<Awaited<ReturnType<GraphQLContext["services"]["messages"]["page"]>>>;

/** The page read for a session stub, or the error reading it raised (Session.messages reports it at its own path). */
const prefetched = new WeakMap<Session, { page: Page } | { error: unknown }>();

/** Session fields the one-statement path can answer without the session row. */
const STUB_FIELDS = new Set(["id", "__typename", "messages"]);

/** Message fields → the column each reads; a field not here reads every column. */
const MESSAGE_FIELD_COLUMNS: Record<string, MessageColumn | null> = {
  __typename: null,
  id: "id",
  sessionId: "sessionId",
  session: "sessionId",
  role: "role",
  content: "content",
  controls: "controls",
  externalActor: "externalActor",
  metadata: "metadata",
  tags: "tags",
  phase: "phase",
  thinking: "thinking",
  thinkingSignature: "thinkingSignature",
  turnId: "turnId",
  delivery: "delivery",
  sequence: "sequence",
  createdAt: "createdAt",
};

/** `session(id)`: the session, and with it its page when the selection allows (see above). */
export async function sessionWithPage(sessionId: string, ctx: GraphQLContext, info: GraphQLResolveInfo): Promise<Session | null> {
  const plan = pagePlan(info);
  if (!plan) return ctx.loaders.sessions.load(sessionId);
  let page: Page | null;
  try {
    page = await ctx.services.messages.page(ctx.actor, sessionId, plan.args, plan.columns);
  } catch (error) {
    // Bad page arguments: the session still resolves, and messages raises the error at its path.
    const session = await ctx.loaders.sessions.load(sessionId);
    if (session) prefetched.set(session, { error });
    return session;
  }
  if (!page) return null;
  // Only id and messages are selected (pagePlan), so no other Session field is ever read.
  const session = { id: sessionId } as Session;
  prefetched.set(session, { page });
  return session;
}

/** Session.messages: the page sessionWithPage read for this session, if it did. */
export function prefetchedPage(session: Session): Page | undefined {
  const found = prefetched.get(session);
  if (!found) return undefined;
  prefetched.delete(session);
  if ("error" in found) throw found.error;
  return found.page;
}

interface PagePlan {
  args: MessagePageArgs;
  /** Undefined: every column. */
  columns?: MessageColumn[];
}

function pagePlan(info: GraphQLResolveInfo): PagePlan | null {
  const sessionFields = collect(info, info.fieldNodes.map((n) => n.selectionSet));
  if (!sessionFields || sessionFields.some((f) => !STUB_FIELDS.has(f.name.value))) return null;
  const messages = sessionFields.filter((f) => f.name.value === "messages");
  if (messages.length !== 1) return null;
  const sessionType = info.schema.getType("Session");
  if (!isObjectType(sessionType)) return null;
  const args = getArgumentValues(sessionType.getFields().messages!, messages[0]!, info.variableValues) as MessagePageArgs;
  return { args, columns: columnsOf(info, messages[0]!.selectionSet) };
}

/** The columns a connection selection reads (through nodes and edges.node); undefined when unsure. */
function columnsOf(info: GraphQLResolveInfo, connection: SelectionSetNode | undefined): MessageColumn[] | undefined {
  const fields = collect(info, [connection]);
  if (!fields) return undefined;
  const nodeSets: (SelectionSetNode | undefined)[] = [];
  for (const field of fields) {
    const name = field.name.value;
    if (name === "nodes") nodeSets.push(field.selectionSet);
    else if (name === "edges") {
      const edgeFields = collect(info, [field.selectionSet]);
      if (!edgeFields) return undefined;
      for (const edgeField of edgeFields) {
        if (edgeField.name.value === "node") nodeSets.push(edgeField.selectionSet);
        else if (edgeField.name.value !== "cursor" && edgeField.name.value !== "__typename") return undefined;
      }
    } else if (!["pageInfo", "totalCount", "__typename"].includes(name)) return undefined;
  }
  const nodeFields = collect(info, nodeSets);
  if (!nodeFields) return undefined;
  const columns: MessageColumn[] = [];
  for (const field of nodeFields) {
    const column = MESSAGE_FIELD_COLUMNS[field.name.value];
    if (column === undefined) return undefined;
    if (column) columns.push(column);
  }
  return columns;
}

/** The fields of selection sets, through fragments; null when a directive (@include, @skip…) makes it conditional. */
function collect(info: GraphQLResolveInfo, sets: readonly (SelectionSetNode | undefined)[]): FieldNode[] | null {
  const fields: FieldNode[] = [];
  const visit = (set: SelectionSetNode | undefined): boolean => {
    for (const selection of set?.selections ?? []) {
      if (selection.directives?.length) return false;
      if (selection.kind === "Field") fields.push(selection);
      else if (selection.kind === "InlineFragment") {
        if (!visit(selection.selectionSet)) return false;
      } else {
        const fragment = info.fragments[selection.name.value];
        if (!fragment || fragment.directives?.length || !visit(fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  return sets.every(visit) ? fields : null;
}
