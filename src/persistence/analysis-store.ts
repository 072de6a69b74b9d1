/** One analysis of a participant's media (or of the session, `participantId` null), as persisted. */
export interface AnalysisRecord {
  sessionId: string;
  participantId: string | null;
  /** What was analysed, e.g. `expression`, `no_face`. */
  kind: string;
  /** Offset from the session's creation, in ms. */
  atMs: number;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export interface AnalysisQuery {
  /** Only analyses of these kinds; all when absent. */
  kinds?: readonly string[];
  participantId?: string;
  limit: number;
  offset: number;
}

/**
 * Analyses of sessions, open-ended by kind. One Drizzle implementation serves PGlite and Postgres;
 * `test/persistence/analysis-store.test.ts` runs its contract against each.
 */
export interface AnalysisStore {
  /** Inserts the rows in one statement, in their order; all or none (a row of an unknown session fails them all). */
  saveAnalyses(rows: readonly AnalysisRecord[]): Promise<void>;
  /** By offset, then in the order written. `total` counts every match, not just the page. */
  listAnalyses(sessionId: string, query: AnalysisQuery): Promise<{ items: AnalysisRecord[]; total: number }>;
}
