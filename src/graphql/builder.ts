// The one Pothos builder. Plain Pothos, no plugins: ids are the raw prefixed
// ids (no global-id encoding), connections are written out as SPEC §5 has
// them, and DataLoaders live in the request context (loaders.ts) because every
// read is owner-scoped by the caller.
import SchemaBuilder from "@pothos/core";
import { GraphQLScalarType } from "graphql";
import { DateTimeISOResolver, JSONResolver } from "graphql-scalars";
import type { GraphQLContext } from "./context.js";

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    File: { Input: File; Output: never };
  };
}>({ defaultFieldNullability: false });

// graphql-scalars' DateTime serializes to a Date object; the ISO variant always
// gives the RFC 3339 string, whatever transport stringifies the result.
builder.addScalarType(
  "DateTime",
  new GraphQLScalarType({
    ...DateTimeISOResolver.toConfig(),
    name: "DateTime",
    description: "An RFC 3339 date-time at UTC, such as 2007-12-03T10:15:30.000Z.",
  }),
);

builder.addScalarType("JSON", JSONResolver);

// Multipart uploads (yoga parses them into a Fetch API File); input only.
builder.scalarType("File", {
  description: "A file sent as a multipart/form-data upload.",
  serialize: () => {
    throw new Error("File is an input-only scalar");
  },
});

export type SchemaTypes = typeof builder.$inferSchemaTypes;

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
