import { z } from "zod";
import { isReservedName, RESERVED_NAME_MESSAGE } from "../reserved-names.js";
import { storable } from "../storable-text.js";
import { KNOWLEDGE_LIMITS } from "../tutor/knowledge/documents.js";
import { TUTOR_LANGUAGES } from "../tutor/tutor-profile.js";

/** Request and response shapes of the tutor and knowledge-base routes: they validate requests and generate `/openapi.json`. */

/**
 * Tutor, knowledge-base and document ids: the pattern sessions' `tutor_id` and `kb_id` take (schemas.ts), so a
 * session can name any profile or knowledge base. Path ids are not trimmed: `%20a` is refused, not read as `a`.
 */
export const resourceId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, "letters, digits and . _ : @ - only")
  .refine((value) => !isReservedName(value), RESERVED_NAME_MESSAGE);

export const tutorIdParam = resourceId;
export const kbIdParam = resourceId;
export const docIdParam = resourceId;

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const documentFormat = z.enum(["text", "markdown"]);

export const documentTitle = storable(z.string().trim().min(1).max(KNOWLEDGE_LIMITS.titleChars));

/** The JSON form of a document (`text/plain` and `text/markdown` bodies are the content itself, `?title=` its title). */
export const putDocumentBody = z.strictObject({
  title: documentTitle.nullable().optional(),
  format: documentFormat,
  content: storable(z.string().refine((value) => value.trim() !== "", "a document needs some text")),
});

export const putDocumentQuery = z.object({ title: documentTitle.optional() });

export const searchQuery = z.object({
  q: storable(z.string().trim().min(1).max(1_000)),
  limit: z.coerce.number().int().min(1).max(50).default(5),
});

const time = z.string().describe("ISO 8601");

export const tutorView = z.object({
  tutor_id: z.string(),
  name: z.string(),
  language: z.enum(TUTOR_LANGUAGES),
  system_prompt: z.string(),
  llm: z.object({ model: z.string().nullable(), temperature: z.number(), max_tokens: z.number() }),
  voice: z.object({ name: z.string(), rate_wpm: z.number() }),
  turn: z.object({ vad_threshold: z.number(), end_of_turn_silence_ms: z.number(), min_interruption_ms: z.number() }),
  greeting: z.string(),
  created_at: time,
  updated_at: time,
});

export const tutorList = z.object({ items: z.array(tutorView), total: z.number(), limit: z.number(), offset: z.number() });

export const putDocumentAnswer = z.object({ kb_id: z.string(), doc_id: z.string(), chunks: z.number().describe("passages the document was split into") });

export const documentSummaryView = z.object({
  doc_id: z.string(),
  title: z.string().nullable(),
  format: documentFormat,
  bytes: z.number().describe("UTF-8 length of the content"),
  chunks: z.number(),
  created_at: time,
  updated_at: time,
});

export const documentView = documentSummaryView.extend({ kb_id: z.string(), content: z.string() });

export const documentList = z.object({
  kb_id: z.string(),
  items: z.array(documentSummaryView),
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
});

export const searchAnswer = z.object({
  kb_id: z.string(),
  query: z.string(),
  results: z.array(
    z.object({
      doc_id: z.string(),
      chunk_index: z.number(),
      title: z.string().nullable().describe("document title and heading path, `Biology › Cells`"),
      text: z.string(),
      score: z.number().describe("distinct question words the passage holds, plus a rank in [0, 1) among passages holding as many"),
    }),
  ),
});
