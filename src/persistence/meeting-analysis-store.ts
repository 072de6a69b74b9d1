/** A session's meeting analysis as persisted: the analysis itself in `payload`, as the API serves it. */
export interface MeetingAnalysisRecord {
  sessionId: string;
  /** `final`: computed after the session ended; `live`: a snapshot of a session still open. */
  status: "final" | "live";
  /** The shape `payload` was computed with (`MEETING_ANALYSIS_VERSION`). */
  version: number;
  payload: Record<string, unknown>;
  computedAt: Date;
}

/**
 * Meeting analyses, one per session. One Drizzle implementation serves PGlite and Postgres;
 * `test/persistence/meeting-analysis-store.test.ts` runs its contract against each.
 */
export interface MeetingAnalysisStore {
  /**
   * Inserts or replaces the session's analysis, except that a `live` one never replaces a `final` one (a snapshot
   * that finished after the session's end must not hide its final analysis). True when it was written. Fails for a
   * session that does not exist.
   */
  saveMeetingAnalysis(record: MeetingAnalysisRecord): Promise<boolean>;
  getMeetingAnalysis(sessionId: string): Promise<MeetingAnalysisRecord | null>;
}
