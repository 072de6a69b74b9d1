/** A final transcript segment as persisted; offsets are ms from the session's creation. */
export interface TranscriptSegmentRecord {
  sessionId: string;
  segmentId: string;
  participantId: string;
  text: string;
  startMs: number;
  endMs: number;
  createdAt: Date;
}

/**
 * Transcripts of sessions. One Drizzle implementation serves PGlite and Postgres;
 * `test/persistence/transcript-store.contract.ts` runs against each.
 */
export interface TranscriptStore {
  /** Idempotent on (sessionId, segmentId): a repeat changes nothing. True when this call inserted it. */
  saveSegment(segment: TranscriptSegmentRecord): Promise<boolean>;
  /** In order of `startMs` (then segment id). */
  listSegments(sessionId: string): Promise<TranscriptSegmentRecord[]>;
}
