import { and, asc, count, eq, inArray, type SQL } from "drizzle-orm";
import type { AnalysisQuery, AnalysisRecord, AnalysisStore } from "./analysis-store.js";
import type { EngineDb } from "./database.js";
import { analyses } from "./schema.js";

export class DrizzleAnalysisStore implements AnalysisStore {
  constructor(private readonly db: EngineDb) {}

  async saveAnalyses(rows: readonly AnalysisRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insert(analyses).values([...rows]);
  }

  async listAnalyses(sessionId: string, query: AnalysisQuery): Promise<{ items: AnalysisRecord[]; total: number }> {
    const conditions: SQL[] = [eq(analyses.sessionId, sessionId)];
    if (query.kinds !== undefined) conditions.push(inArray(analyses.kind, [...query.kinds]));
    if (query.participantId !== undefined) conditions.push(eq(analyses.participantId, query.participantId));
    const where = and(...conditions);
    const [items, totals] = await Promise.all([
      this.db
        .select({
          sessionId: analyses.sessionId,
          participantId: analyses.participantId,
          kind: analyses.kind,
          atMs: analyses.atMs,
          payload: analyses.payload,
          createdAt: analyses.createdAt,
        })
        .from(analyses)
        .where(where)
        .orderBy(asc(analyses.atMs), asc(analyses.id))
        .limit(query.limit)
        .offset(query.offset),
      this.db.select({ total: count() }).from(analyses).where(where),
    ]);
    return { items, total: totals[0]?.total ?? 0 };
  }
}
