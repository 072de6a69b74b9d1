/** One turn of a tutoring conversation as persisted: the student's words or the tutor's reply. */
export interface TurnRecord {
  sessionId: string;
  /** The tutor turn it belongs to (the student's words and the reply to them share it). */
  turnId: number;
  role: "student" | "tutor";
  /** `greeting` or `answer` (the tutor's); the student's words are `question`. */
  kind: "greeting" | "answer" | "question";
  /** What was said: for an interrupted reply, up to where the student stopped it. */
  text: string;
  /** `completed`, `interrupted` or `failed` (the tutor's; the student's words are `completed`). */
  outcome: "completed" | "interrupted" | "failed";
  /** The error the student got for a failed turn (`llm_unavailable`, ...). */
  errorCode: string | null;
  /** Timings (ms from the turn's start), the interruption, the passages given: see the README. */
  details: Record<string, unknown>;
  startedAt: Date;
  endedAt: Date;
}

/**
 * Tutoring conversations, turn by turn. One Drizzle implementation serves PGlite and Postgres;
 * `test/persistence/turn-store.test.ts` runs its contract against each.
 */
export interface TurnStore {
  /** Inserts the rows in one statement; idempotent on (session, turn, role): a replay changes nothing. */
  saveTurns(rows: readonly TurnRecord[]): Promise<void>;
  /** By turn, the student's words before the reply. `total` counts every row. */
  listTurns(sessionId: string, page: { limit: number; offset: number }): Promise<{ items: TurnRecord[]; total: number }>;
}
