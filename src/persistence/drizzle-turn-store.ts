import { asc, count, eq } from "drizzle-orm";
import type { EngineDb } from "./database.js";
import { tutorTurns } from "./schema.js";
import type { TurnRecord, TurnStore } from "./turn-store.js";

/** Student turns sort before the tutor's reply of the same turn. */
const ROLE_ORDER = { student: 0, tutor: 1 } as const;

export class DrizzleTurnStore implements TurnStore {
  constructor(private readonly db: EngineDb) {}

  async saveTurns(rows: readonly TurnRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insert(tutorTurns)
      .values(rows.map((row) => ({ ...row, roleOrder: ROLE_ORDER[row.role] })))
      .onConflictDoNothing({ target: [tutorTurns.sessionId, tutorTurns.turnId, tutorTurns.role] });
  }

  async listTurns(sessionId: string, page: { limit: number; offset: number }): Promise<{ items: TurnRecord[]; total: number }> {
    const where = eq(tutorTurns.sessionId, sessionId);
    const [items, totals] = await Promise.all([
      this.db
        .select({
          sessionId: tutorTurns.sessionId,
          turnId: tutorTurns.turnId,
          role: tutorTurns.role,
          kind: tutorTurns.kind,
          text: tutorTurns.text,
          outcome: tutorTurns.outcome,
          errorCode: tutorTurns.errorCode,
          details: tutorTurns.details,
          startedAt: tutorTurns.startedAt,
          endedAt: tutorTurns.endedAt,
        })
        .from(tutorTurns)
        .where(where)
        .orderBy(asc(tutorTurns.turnId), asc(tutorTurns.roleOrder))
        .limit(page.limit)
        .offset(page.offset),
      this.db.select({ total: count() }).from(tutorTurns).where(where),
    ]);
    return { items, total: totals[0]?.total ?? 0 };
  }
}
