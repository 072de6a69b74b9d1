import { eq, sql } from "drizzle-orm";
import type { EngineDb } from "./database.js";
import type { MeetingAnalysisRecord, MeetingAnalysisStore } from "./meeting-analysis-store.js";
import { meetingAnalyses } from "./schema.js";

export class DrizzleMeetingAnalysisStore implements MeetingAnalysisStore {
  constructor(private readonly db: EngineDb) {}

  async saveMeetingAnalysis(record: MeetingAnalysisRecord): Promise<boolean> {
    const written = await this.db
      .insert(meetingAnalyses)
      .values(record)
      .onConflictDoUpdate({
        target: meetingAnalyses.sessionId,
        set: {
          status: sql`excluded.status`,
          version: sql`excluded.version`,
          payload: sql`excluded.payload`,
          computedAt: sql`excluded.computed_at`,
        },
        // One statement decides, so a live snapshot racing the final analysis (another process) cannot win.
        setWhere: sql`excluded.status = 'final' or ${meetingAnalyses.status} = 'live'`,
      })
      .returning({ sessionId: meetingAnalyses.sessionId });
    return written.length > 0;
  }

  async getMeetingAnalysis(sessionId: string): Promise<MeetingAnalysisRecord | null> {
    const rows = await this.db.select().from(meetingAnalyses).where(eq(meetingAnalyses.sessionId, sessionId)).limit(1);
    return rows[0] ?? null;
  }
}
