import type { z } from "zod";
import { KNOWLEDGE_LIMITS } from "../tutor/knowledge/documents.js";
import { tutorSettings } from "../tutor/tutor-profile.js";
import { documentList, documentView, putDocumentAnswer, putDocumentBody, searchAnswer, tutorList, tutorView } from "./tutor-schemas.js";

/** What `openApiDocument` lends the path builders: JSON bodies from zod schemas, and the error answers. */
export interface OpenApiParts {
  json(type: z.ZodType, io?: "input" | "output"): { content: Record<string, { schema: unknown }> };
  schema(type: z.ZodType, io?: "input" | "output"): unknown;
  error(description: string): Record<string, unknown>;
  standardErrors: Record<string, unknown>;
}

const pathParam = (name: string) => ({ name, in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9._:@-]+$", maxLength: 128 } });
const pageParams = [
  { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
  { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
];

/** `/api/v1/tutors…` and `/api/v1/knowledge-bases…`. */
export function tutorApiPaths(parts: OpenApiParts): Record<string, unknown> {
  const { json, schema, error, standardErrors } = parts;
  const tutorId = [pathParam("tutor_id")];
  const documentIds = [pathParam("kb_id"), pathParam("doc_id")];
  const notFound = { "404": error("tutor_not_found") };
  const documentNotFound = { "404": error("document_not_found") };
  const kbMax = `${KNOWLEDGE_LIMITS.maxDocumentBytes / 1024} KB`;
  return {
    "/api/v1/tutors": {
      get: { summary: "List tutor profiles by id", parameters: pageParams, responses: { "200": { description: "a page", ...json(tutorList) }, ...standardErrors } },
    },
    "/api/v1/tutors/{tutor_id}": {
      put: {
        summary: "Create or replace a tutor profile; fields left out take their defaults",
        parameters: tutorId,
        requestBody: { required: true, ...json(tutorSettings, "input") },
        responses: {
          "201": { description: "created", ...json(tutorView) },
          "200": { description: "replaced (created_at kept)", ...json(tutorView) },
          ...standardErrors,
        },
      },
      get: { summary: "A tutor profile", parameters: tutorId, responses: { "200": { description: "the profile", ...json(tutorView) }, ...standardErrors, ...notFound } },
      delete: { summary: "Delete a tutor profile", parameters: tutorId, responses: { "204": { description: "deleted" }, ...standardErrors, ...notFound } },
    },
    "/api/v1/knowledge-bases/{kb_id}/documents": {
      get: {
        summary: "A knowledge base's documents by id, without their content",
        parameters: [pathParam("kb_id"), ...pageParams],
        responses: { "200": { description: "a page (empty for a knowledge base without documents)", ...json(documentList) }, ...standardErrors },
      },
    },
    "/api/v1/knowledge-bases/{kb_id}/documents/{doc_id}": {
      put: {
        summary: `Create or replace a document (at most ${kbMax}, ${KNOWLEDGE_LIMITS.maxChunks} passages): a text/plain or text/markdown body (title in ?title=), or JSON`,
        parameters: [...documentIds, { name: "title", in: "query", schema: { type: "string", maxLength: KNOWLEDGE_LIMITS.titleChars }, description: "the title of a text/plain or text/markdown body" }],
        requestBody: {
          required: true,
          content: {
            "application/json": { schema: schema(putDocumentBody, "input") },
            "text/plain": { schema: { type: "string" } },
            "text/markdown": { schema: { type: "string" } },
          },
        },
        responses: {
          "201": { description: "created", ...json(putDocumentAnswer) },
          "200": { description: "replaced, with all its passages", ...json(putDocumentAnswer) },
          ...standardErrors,
          "413": error(`payload_too_large: over ${kbMax} of UTF-8 or ${KNOWLEDGE_LIMITS.maxChunks} passages`),
        },
      },
      get: { summary: "A document with its content", parameters: documentIds, responses: { "200": { description: "the document", ...json(documentView) }, ...standardErrors, ...documentNotFound } },
      delete: { summary: "Delete a document and its passages", parameters: documentIds, responses: { "204": { description: "deleted" }, ...standardErrors, ...documentNotFound } },
    },
    "/api/v1/knowledge-bases/{kb_id}/search": {
      get: {
        summary: "The passages a question retrieves: those sharing any of its words, best first",
        parameters: [
          pathParam("kb_id"),
          { name: "q", in: "query", required: true, schema: { type: "string", minLength: 1, maxLength: 1000 } },
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 50, default: 5 } },
        ],
        responses: { "200": { description: "passages (none for a question of stop words only)", ...json(searchAnswer) }, ...standardErrors },
      },
    },
  };
}
