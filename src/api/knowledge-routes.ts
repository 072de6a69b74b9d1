import express, { Router, type Request, type RequestHandler } from "express";
import type { z } from "zod";
import { EngineError } from "../errors.js";
import type { KnowledgeBaseStore, KnowledgeDocumentSummary } from "../persistence/knowledge-base-store.js";
import { KNOWLEDGE_LIMITS } from "../tutor/knowledge/documents.js";
import type { DocumentFormat } from "../tutor/knowledge/chunking.js";
import { refuseDeclaredOver } from "./body-limits.js";
import { parseOrThrow } from "./http-errors.js";
import {
  docIdParam,
  kbIdParam,
  pageQuery,
  putDocumentBody,
  putDocumentQuery,
  searchQuery,
  type documentSummaryView,
  type searchAnswer,
} from "./tutor-schemas.js";

/** Raw document bodies: the content itself, as `text/plain` or Markdown. */
const RAW_TYPES = ["text/plain", "text/markdown", "text/x-markdown"];
const MARKDOWN_TYPES = ["text/markdown", "text/x-markdown"];
/** JSON escapes (`\n`, `\"`, `\u00e9`) make a body longer than its content: room for that, the content limit checked after. */
const MAX_JSON_DOCUMENT_BYTES = 2 * KNOWLEDGE_LIMITS.maxDocumentBytes;

/** Declared lengths over the body's limit are refused before reading: the raw limit for text, the JSON one otherwise. */
function refuseOversizeDocument(): RequestHandler {
  const raw = refuseDeclaredOver(KNOWLEDGE_LIMITS.maxDocumentBytes);
  const json = refuseDeclaredOver(MAX_JSON_DOCUMENT_BYTES);
  return (req, res, next) => (isOfType(req, RAW_TYPES) ? raw : json)(req, res, next);
}

/** `req.is` answers null for a request without a body, false for another type. */
function isOfType(req: Request, types: string[]): boolean {
  return typeof req.is(types) === "string";
}

function documentIds(req: Request): { kbId: string; docId: string } {
  return {
    kbId: parseOrThrow(kbIdParam, req.params["kb_id"], "path"),
    docId: parseOrThrow(docIdParam, req.params["doc_id"], "path"),
  };
}

/** The document a PUT carries: a raw text or Markdown body (title from `?title=`), or the JSON form. */
function documentOf(req: Request): z.infer<typeof putDocumentBody> {
  const { title } = parseOrThrow(putDocumentQuery, req.query, "query");
  if (isOfType(req, RAW_TYPES)) {
    const format: DocumentFormat = isOfType(req, MARKDOWN_TYPES) ? "markdown" : "text";
    const content = typeof req.body === "string" ? req.body : "";
    return parseOrThrow(putDocumentBody, { title, format, content }, "body");
  }
  if (!isOfType(req, ["application/json"])) {
    throw new EngineError("invalid_request", "send the document as text/plain, text/markdown or application/json", {
      details: [{ path: "header.content-type", message: "text/plain, text/markdown or application/json" }],
    });
  }
  if (title !== undefined) {
    throw new EngineError("invalid_request", "a JSON document carries its title in the body", { details: [{ path: "query.title", message: "only with a text body" }] });
  }
  return parseOrThrow(putDocumentBody, req.body, "body");
}

function documentSummary(document: KnowledgeDocumentSummary): z.infer<typeof documentSummaryView> {
  return {
    doc_id: document.docId,
    title: document.title,
    format: document.format,
    bytes: document.bytes,
    chunks: document.chunks,
    created_at: document.createdAt.toISOString(),
    updated_at: document.updatedAt.toISOString(),
  };
}

const notFound = () => new EngineError("document_not_found", "no document with that id in that knowledge base");

/**
 * `/api/v1/knowledge-bases/{kb_id}…`: the documents tutors answer from, and the search they retrieve passages with
 * (operators call it to see what a question finds). Document bodies are parsed here, with their own limits.
 */
export function knowledgeRoutes(deps: { knowledge: KnowledgeBaseStore }): Router {
  const router = Router();
  const documentPath = "/knowledge-bases/:kb_id/documents/:doc_id";

  router.put(
    documentPath,
    refuseOversizeDocument(),
    express.text({ type: RAW_TYPES, limit: KNOWLEDGE_LIMITS.maxDocumentBytes }),
    express.json({ limit: MAX_JSON_DOCUMENT_BYTES, strict: false }),
    async (req, res) => {
      const { kbId, docId } = documentIds(req);
      const document = documentOf(req);
      const stored = await deps.knowledge.putDocument({ kbId, docId, title: document.title ?? null, format: document.format, content: document.content });
      res.status(stored.created ? 201 : 200).json({ kb_id: kbId, doc_id: docId, chunks: stored.chunks });
    },
  );

  router.get(documentPath, async (req, res) => {
    const { kbId, docId } = documentIds(req);
    const document = await deps.knowledge.getDocument(kbId, docId);
    if (document === null) throw notFound();
    res.json({ kb_id: kbId, ...documentSummary(document), content: document.content });
  });

  router.delete(documentPath, async (req, res) => {
    const { kbId, docId } = documentIds(req);
    if (!(await deps.knowledge.deleteDocument(kbId, docId))) throw notFound();
    res.status(204).end();
  });

  router.get("/knowledge-bases/:kb_id/documents", async (req, res) => {
    const kbId = parseOrThrow(kbIdParam, req.params["kb_id"], "path");
    const query = parseOrThrow(pageQuery, req.query, "query");
    const page = await deps.knowledge.listDocuments(kbId, query);
    res.json({ kb_id: kbId, items: page.items.map(documentSummary), total: page.total, limit: query.limit, offset: query.offset });
  });

  router.get("/knowledge-bases/:kb_id/search", async (req, res) => {
    const kbId = parseOrThrow(kbIdParam, req.params["kb_id"], "path");
    const query = parseOrThrow(searchQuery, req.query, "query");
    const passages = await deps.knowledge.search(kbId, query.q, query.limit);
    const body: z.infer<typeof searchAnswer> = {
      kb_id: kbId,
      query: query.q,
      results: passages.map((p) => ({ doc_id: p.docId, chunk_index: p.chunkIndex, title: p.title, text: p.text, score: p.score })),
    };
    res.json(body);
  });

  return router;
}
