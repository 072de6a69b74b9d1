/** What a knowledge-base document may hold, and its passages as stored. */
import { EngineError } from "../../errors.js";
import { chunkDocument, passageTitle, type ChunkingOptions, type DocumentFormat } from "./chunking.js";

export const KNOWLEDGE_LIMITS = {
  /** UTF-8 bytes of a document's content. */
  maxDocumentBytes: 512 * 1024,
  /** Passages one document may split into. */
  maxChunks: 2_000,
  titleChars: 200,
} as const;

export interface DocumentChunk {
  chunkIndex: number;
  title: string | null;
  text: string;
}

/**
 * The passages `content` is stored as, each titled by the document title and its heading path, and the content's
 * UTF-8 length. Throws `payload_too_large` past `KNOWLEDGE_LIMITS`.
 */
export function documentChunks(
  document: { title: string | null; format: DocumentFormat; content: string },
  options: Partial<ChunkingOptions> = {},
): { bytes: number; chunks: DocumentChunk[] } {
  const bytes = Buffer.byteLength(document.content, "utf8");
  if (bytes > KNOWLEDGE_LIMITS.maxDocumentBytes) {
    throw new EngineError("payload_too_large", `documents are limited to ${KNOWLEDGE_LIMITS.maxDocumentBytes / 1024} KB of UTF-8 (this one has ${bytes} bytes)`);
  }
  const passages = chunkDocument(document.format, document.content, options);
  if (passages.length > KNOWLEDGE_LIMITS.maxChunks) {
    throw new EngineError("payload_too_large", `a document may split into at most ${KNOWLEDGE_LIMITS.maxChunks} passages (this one makes ${passages.length})`);
  }
  const chunks = passages.map((passage, chunkIndex) => ({ chunkIndex, title: passageTitle(document.title, passage.headings), text: passage.text }));
  return { bytes, chunks };
}
