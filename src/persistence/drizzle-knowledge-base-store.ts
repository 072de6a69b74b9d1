import { and, asc, count, desc, eq, sql, type SQL } from "drizzle-orm";
import { EngineError } from "../errors.js";
import { documentChunks } from "../tutor/knowledge/documents.js";
import type { EngineDb } from "./database.js";
import type {
  KnowledgeBaseStore,
  KnowledgeDocument,
  KnowledgeDocumentInput,
  KnowledgeDocumentSummary,
  KnowledgePassage,
} from "./knowledge-base-store.js";
import { kbChunks, kbDocuments } from "./schema.js";
import type { PageQuery } from "./tutor-store.js";

/** Passages inserted per statement: 5 parameters a row stays far below PostgreSQL's 65,535. */
const CHUNK_INSERT_BATCH = 500;

const summaryColumns = {
  kbId: kbDocuments.kbId,
  docId: kbDocuments.docId,
  title: kbDocuments.title,
  format: kbDocuments.format,
  bytes: kbDocuments.bytes,
  chunks: kbDocuments.chunkCount,
  createdAt: kbDocuments.createdAt,
  updatedAt: kbDocuments.updatedAt,
};

export class DrizzleKnowledgeBaseStore implements KnowledgeBaseStore {
  constructor(private readonly db: EngineDb) {}

  async putDocument(input: KnowledgeDocumentInput): Promise<{ created: boolean; chunks: number }> {
    const { kbId, docId, format, content } = input;
    const title = input.title ?? null;
    const at = input.at ?? new Date();
    // Chunked (and the limits checked) before the transaction: nothing is written for a refused document.
    const { bytes, chunks } = documentChunks({ title, format, content });
    return this.db.transaction(async (tx) => {
      // The upsert locks the document's row, so two puts of one document run one after the other.
      const [row] = await tx
        .insert(kbDocuments)
        .values({ kbId, docId, title, format, content, bytes, chunkCount: chunks.length, createdAt: at, updatedAt: at })
        .onConflictDoUpdate({
          target: [kbDocuments.kbId, kbDocuments.docId],
          set: {
            title: sql`excluded.title`,
            format: sql`excluded.format`,
            content: sql`excluded.content`,
            bytes: sql`excluded.bytes`,
            chunkCount: sql`excluded.chunk_count`,
            updatedAt: sql`excluded.updated_at`,
          },
        })
        // `xmax` is 0 on a row version this statement inserted, and the updating transaction's id on one it replaced.
        .returning({ inserted: sql<boolean>`(xmax = 0)` });
      if (row === undefined) throw new EngineError("internal", `upsert of document ${docId} returned no row`);
      if (!row.inserted) await tx.delete(kbChunks).where(and(eq(kbChunks.kbId, kbId), eq(kbChunks.docId, docId)));
      for (let start = 0; start < chunks.length; start += CHUNK_INSERT_BATCH) {
        await tx.insert(kbChunks).values(chunks.slice(start, start + CHUNK_INSERT_BATCH).map((chunk) => ({ kbId, docId, ...chunk })));
      }
      return { created: row.inserted, chunks: chunks.length };
    });
  }

  async getDocument(kbId: string, docId: string): Promise<KnowledgeDocument | null> {
    const [row] = await this.db
      .select({ ...summaryColumns, content: kbDocuments.content })
      .from(kbDocuments)
      .where(documentKey(kbId, docId))
      .limit(1);
    return row ?? null;
  }

  async deleteDocument(kbId: string, docId: string): Promise<boolean> {
    const deleted = await this.db.delete(kbDocuments).where(documentKey(kbId, docId)).returning({ docId: kbDocuments.docId });
    return deleted.length > 0;
  }

  async listDocuments(kbId: string, page: PageQuery): Promise<{ items: KnowledgeDocumentSummary[]; total: number }> {
    const where = eq(kbDocuments.kbId, kbId);
    const [items, totals] = await Promise.all([
      this.db.select(summaryColumns).from(kbDocuments).where(where).orderBy(asc(kbDocuments.docId)).limit(page.limit).offset(page.offset),
      this.db.select({ total: count() }).from(kbDocuments).where(where),
    ]);
    return { items, total: totals[0]?.total ?? 0 };
  }

  async search(kbId: string, query: string, limit: number): Promise<KnowledgePassage[]> {
    const { matches, score } = passageRanking(query);
    return this.db
      .select({ docId: kbChunks.docId, chunkIndex: kbChunks.chunkIndex, title: kbChunks.title, text: kbChunks.text, score })
      .from(kbChunks)
      .where(and(eq(kbChunks.kbId, kbId), matches))
      .orderBy(desc(score), asc(kbChunks.docId), asc(kbChunks.chunkIndex))
      .limit(limit);
  }
}

function documentKey(kbId: string, docId: string): SQL | undefined {
  return and(eq(kbDocuments.kbId, kbId), eq(kbDocuments.docId, docId));
}

/**
 * A student's question matches passages sharing ANY of its meaningful words, not all of them (as `plainto_tsquery`
 * would ask): the question's lexemes (stemmed by the `english` configuration, stop words dropped) are joined with
 * `|` into one tsquery. A tsvector's text form quotes every lexeme (`'cell' 'mitochondria'`, quotes and backslashes
 * inside doubled), so replacing the separators gives a tsquery with no lexeme read as syntax. A question of stop words
 * only has no lexemes: a null tsquery, and no match rather than an error. Every function here is immutable, so the
 * planner folds the tsquery into a constant and can weigh the GIN index with it.
 *
 * PostgreSQL's ranking knows nothing of how rare a word is, so a passage that repeats a common word of the question
 * ("cell") could outrank one holding its rare word too ("mitochondria"). The score counts first how many of the
 * question's distinct lexemes a passage holds (`length` before and after `ts_delete` of them), then adds
 * `ts_rank_cd` scaled into [0, 1) (normalization 32) to order passages holding as many.
 */
function passageRanking(query: string): { matches: SQL; score: SQL.Aliased<number> } {
  const vector = sql`to_tsvector('english', ${query})`;
  const tsquery = sql`replace(nullif(strip(${vector})::text, ''), ''' ''', ''' | ''')::tsquery`;
  const held = sql`length(${kbChunks.search}) - length(ts_delete(${kbChunks.search}, tsvector_to_array(${vector})))`;
  return {
    matches: sql`${kbChunks.search} @@ ${tsquery}`,
    score: sql<number>`(${held})::float8 + ts_rank_cd(${kbChunks.search}, ${tsquery}, 32)`.mapWith(Number).as("score"),
  };
}
