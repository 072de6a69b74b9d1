import { asc, count, eq, sql } from "drizzle-orm";
import { EngineError } from "../errors.js";
import { tutorSettings, type TutorProfile, type TutorSettings } from "../tutor/tutor-profile.js";
import type { EngineDb } from "./database.js";
import { tutors, type TutorRow } from "./schema.js";
import type { PageQuery, TutorStore } from "./tutor-store.js";

export class DrizzleTutorStore implements TutorStore {
  constructor(private readonly db: EngineDb) {}

  async put(profile: TutorProfile): Promise<{ created: boolean; profile: TutorProfile }> {
    const { tutor_id: id, created_at: createdAt, updated_at: updatedAt, ...settings } = profile;
    const [row] = await this.db
      .insert(tutors)
      .values({ id, settings: toJson(settings), createdAt, updatedAt })
      .onConflictDoUpdate({ target: tutors.id, set: { settings: sql`excluded.settings`, updatedAt: sql`excluded.updated_at` } })
      // `xmax` is 0 on a row version this statement inserted, and the updating transaction's id on one it replaced.
      .returning({ id: tutors.id, settings: tutors.settings, createdAt: tutors.createdAt, updatedAt: tutors.updatedAt, inserted: sql<boolean>`(xmax = 0)` });
    if (row === undefined) throw new EngineError("internal", `upsert of tutor ${id} returned no row`);
    return { created: row.inserted, profile: toProfile(row) };
  }

  async get(tutorId: string): Promise<TutorProfile | null> {
    const [row] = await this.db.select().from(tutors).where(eq(tutors.id, tutorId)).limit(1);
    return row === undefined ? null : toProfile(row);
  }

  async delete(tutorId: string): Promise<boolean> {
    const deleted = await this.db.delete(tutors).where(eq(tutors.id, tutorId)).returning({ id: tutors.id });
    return deleted.length > 0;
  }

  async list(page: PageQuery): Promise<{ items: TutorProfile[]; total: number }> {
    const [rows, totals] = await Promise.all([
      this.db.select().from(tutors).orderBy(asc(tutors.id)).limit(page.limit).offset(page.offset),
      this.db.select({ total: count() }).from(tutors),
    ]);
    return { items: rows.map(toProfile), total: totals[0]?.total ?? 0 };
  }
}

function toJson(settings: TutorSettings): Record<string, unknown> {
  return { ...settings };
}

/** Settings are read back through the API's schema: a field added since the row was written takes its default. */
function toProfile(row: Pick<TutorRow, "id" | "settings" | "createdAt" | "updatedAt">): TutorProfile {
  const parsed = tutorSettings.safeParse(row.settings);
  if (!parsed.success) throw new EngineError("internal", `stored settings of tutor ${row.id} no longer validate`, { cause: parsed.error });
  return { tutor_id: row.id, ...parsed.data, created_at: row.createdAt, updated_at: row.updatedAt };
}
