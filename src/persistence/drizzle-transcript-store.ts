import { asc, eq } from "drizzle-orm";
import type { EngineDb } from "./database.js";
import { transcriptSegments } from "./schema.js";
import type { TranscriptSegmentRecord, TranscriptStore } from "./transcript-store.js";

export class DrizzleTranscriptStore implements TranscriptStore {
  constructor(private readonly db: EngineDb) {}

  async saveSegment(segment: TranscriptSegmentRecord): Promise<boolean> {
    const inserted = await this.db
      .insert(transcriptSegments)
      .values(segment)
      .onConflictDoNothing({ target: [transcriptSegments.sessionId, transcriptSegments.segmentId] })
      .returning({ segmentId: transcriptSegments.segmentId });
    return inserted.length > 0;
  }

  async listSegments(sessionId: string): Promise<TranscriptSegmentRecord[]> {
    return this.db
      .select()
      .from(transcriptSegments)
      .where(eq(transcriptSegments.sessionId, sessionId))
      .orderBy(asc(transcriptSegments.startMs), asc(transcriptSegments.segmentId));
  }
}
