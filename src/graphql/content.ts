// Content parts: GraphQL types over the stored REST-shape parts of
// src/domain/content.ts (snake_case fields, `type` discriminator), mapped to
// camelCase field by field.
import type * as parts from "../domain/content.js";
import { builder } from "./builder.js";
import { ImageRef } from "./image.js";

export const TextPartRef = builder.objectRef<parts.TextPart>("TextPart").implement({
  fields: (t) => ({ text: t.exposeString("text") }),
});

export const ImagePartRef = builder.objectRef<parts.ImagePart>("ImagePart").implement({
  description: "An image by URL (http, https or data) or inline base64.",
  fields: (t) => ({
    url: t.string({ nullable: true, resolve: (p) => p.url ?? null }),
    base64: t.string({ nullable: true, resolve: (p) => p.base64 ?? null }),
    mediaType: t.string({ nullable: true, resolve: (p) => p.media_type ?? null }),
  }),
});

export const ImageFilePartRef = builder.objectRef<parts.ImageFilePart>("ImageFilePart").implement({
  description: "An uploaded image (see uploadImage).",
  fields: (t) => ({
    imageId: t.id({ resolve: (p) => p.image_id }),
    filename: t.string({ nullable: true, resolve: (p) => p.filename ?? null }),
    image: t.field({
      type: ImageRef,
      nullable: true,
      description: "Null when the image was deleted or is not yours.",
      resolve: (p, _args, { loaders }) => loaders.images.load(p.image_id),
    }),
  }),
});

export const ToolCallPartRef = builder.objectRef<parts.ToolCallPart>("ToolCallPart").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    arguments: t.expose("arguments", { type: "JSON" }),
  }),
});

const inputLikeParts = { text: TextPartRef, image: ImagePartRef, image_file: ImageFilePartRef } as const;

export const ToolResultContentRef = builder.unionType("ToolResultContent", {
  types: Object.values(inputLikeParts),
  resolveType: (part: parts.ToolResultContent) => inputLikeParts[part.type],
});

export const ToolResultPartRef = builder.objectRef<parts.ToolResultPart>("ToolResultPart").implement({
  fields: (t) => ({
    toolCallId: t.id({ resolve: (p) => p.tool_call_id }),
    content: t.field({ type: [ToolResultContentRef], resolve: (p) => p.content }),
    isError: t.boolean({ resolve: (p) => p.is_error }),
  }),
});

const allParts = { ...inputLikeParts, tool_call: ToolCallPartRef, tool_result: ToolResultPartRef } as const;

export const ContentPartRef = builder.unionType("ContentPart", {
  types: Object.values(allParts),
  resolveType: (part: parts.ContentPart) => allParts[part.type],
});
