import { z } from "zod";

/**
 * Text the engine persists or echoes must survive PostgreSQL (its `text` cannot hold U+0000) and UTF-8 (a lone
 * UTF-16 surrogate has no encoding: drivers silently turn it into U+FFFD). Refusing it at validation keeps a request
 * from succeeding and its write failing later.
 */
const NOT_STORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const NOT_STORABLE_MESSAGE = "must not contain U+0000 or unpaired UTF-16 surrogates";

export function isStorableText(value: string): boolean {
  return !NOT_STORABLE.test(value);
}

/** `schema` refined to storable text; every persisted or echoed string field goes through this. */
export function storable<T extends z.ZodString>(schema: T): T {
  return schema.refine(isStorableText, { message: NOT_STORABLE_MESSAGE });
}

/** A plain string field of storable text. */
export const storableString = (): z.ZodString => storable(z.string());
