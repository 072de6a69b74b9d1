import type { DocumentFormat } from "../tutor/knowledge/chunking.js";
import type { PageQuery } from "./tutor-store.js";

export interface KnowledgeDocumentInput {
  kbId: string;
  docId: string;
  title?: string | null;
  format: DocumentFormat;
  content: string;
  /** When it was put; now when absent. */
  at?: Date;
}

/** A document as listed: everything but its content. */
export interface KnowledgeDocumentSummary {
  kbId: string;
  docId: string;
  title: string | null;
  format: DocumentFormat;
  /** UTF-8 length of the content. */
  bytes: number;
  /** Passages it was split into. */
  chunks: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface KnowledgeDocument extends KnowledgeDocumentSummary {
  content: string;
}

export interface KnowledgePassage {
  docId: string;
  chunkIndex: number;
  /** Document title and heading path (`Biology › Cells`); null when there are neither. */
  title: string | null;
  text: string;
  /**
   * How many of the question's distinct words (stemmed, stop words left out) the passage holds, plus PostgreSQL's
   * cover-density rank scaled into [0, 1): passages sharing more of the question's words always come first.
   */
  score: number;
}

/**
 * Knowledge bases: documents split into passages (`chunkDocument`), searched with PostgreSQL full-text search. A
 * knowledge base exists by having documents. One Drizzle implementation serves PGlite and Postgres;
 * `test/persistence/knowledge-base-store.test.ts` runs its contract against each.
 */
export interface KnowledgeBaseStore {
  /**
   * Inserts or replaces the document and its passages in one transaction: a replaced document's old passages are
   * gone when the new ones appear, never both or neither. Fails with `payload_too_large` over the document limits
   * (`KNOWLEDGE_LIMITS`), before writing anything.
   */
  putDocument(input: KnowledgeDocumentInput): Promise<{ created: boolean; chunks: number }>;
  getDocument(kbId: string, docId: string): Promise<KnowledgeDocument | null>;
  /** True when there was one to delete; its passages go with it. */
  deleteDocument(kbId: string, docId: string): Promise<boolean>;
  /** By document id. `total` counts every document of the knowledge base. */
  listDocuments(kbId: string, page: PageQuery): Promise<{ items: KnowledgeDocumentSummary[]; total: number }>;
  /**
   * Passages of this knowledge base sharing any meaningful word with `query`, best first (ties in document order).
   * A query of stop words only (or no words) finds nothing.
   */
  search(kbId: string, query: string, limit: number): Promise<KnowledgePassage[]>;
}
