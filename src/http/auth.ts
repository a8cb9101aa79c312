// Who is calling. With AUTH=none everyone is the one local owner; API keys
// (AUTH=api_key) plug in here.
import type { IncomingMessage } from "node:http";
import { LOCAL_OWNER, type Actor } from "../service/context.js";

export type ActorResolver = (req: Pick<IncomingMessage, "headers">) => Promise<Actor>;

export const localActor: ActorResolver = async () => ({ ownerId: LOCAL_OWNER });
