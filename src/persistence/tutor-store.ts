import type { TutorProfile } from "../tutor/tutor-profile.js";

export interface PageQuery {
  limit: number;
  offset: number;
}

/**
 * Tutor profiles by id. One Drizzle implementation serves PGlite and Postgres;
 * `test/persistence/tutor-store.test.ts` runs its contract against each.
 */
export interface TutorStore {
  /**
   * Inserts the profile, or replaces the one with its id in one statement (two racing puts of a new id make one
   * insert and one replace). A replace keeps the stored `created_at`; the answer holds what is stored.
   */
  put(profile: TutorProfile): Promise<{ created: boolean; profile: TutorProfile }>;
  get(tutorId: string): Promise<TutorProfile | null>;
  /** True when there was one to delete. */
  delete(tutorId: string): Promise<boolean>;
  /** By id. `total` counts every profile, not just the page. */
  list(page: PageQuery): Promise<{ items: TutorProfile[]; total: number }>;
}
