// Builds the executable schema from the type families, and prints it the way
// schema.graphql stores it (lexicographically sorted, so diffs stay small).
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { builder } from "./builder.js";
import "./enums.js";
import "./node.js";
import "./model.js";
import "./image.js";
import "./content.js";
import "./session.js";
import "./message.js";
import "./message-input.js";
import "./event.js";
import "./agent.js";
import "./tool.js";
import "./fork.js";
import "./pending.js";

export const schema: GraphQLSchema = builder.toSchema();

/** The text of schema.graphql. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
