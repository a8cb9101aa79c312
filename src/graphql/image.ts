// Uploaded images and the uploadImage mutation. The bytes are served by
// GET /v1/images/{id}/content (src/http/image-content.ts); `url` points there.
import type { ImageMeta } from "../store/images.js";
import { builder } from "./builder.js";
import { NodeRef } from "./node.js";

export const ImageRef = builder.objectRef<ImageMeta>("Image");

ImageRef.implement({
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.exposeID("id"),
    filename: t.exposeString("filename", { nullable: true }),
    mediaType: t.exposeString("mediaType"),
    byteSize: t.exposeInt("byteSize"),
    url: t.string({
      description: "Absolute URL of the image bytes.",
      resolve: (image, _args, { imageUrl }) => imageUrl(image.id),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.mutationField("uploadImage", (t) =>
  t.field({
    type: ImageRef,
    description: "Stores a PNG, JPEG, GIF or WebP image sent as a multipart upload (field `file`).",
    args: { file: t.arg({ type: "File", required: true }) },
    resolve: async (_root, { file }, { actor, services }) =>
      services.images.upload(actor, { filename: file.name || null, bytes: new Uint8Array(await file.arrayBuffer()) }),
  }),
);
