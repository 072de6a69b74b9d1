/**
 * The database backend behind the session store, embedded or real — the way Colyseus has
 * Presence → LocalPresence/RedisPresence. `DrizzleSessionStore` only sees `EngineDb`, so it runs unchanged on both.
 */
import { fileURLToPath } from "node:url";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema.js";

/** A Drizzle Postgres database over the engine schema; both PGlite and postgres.js databases assign to it. */
export type EngineDb = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  readonly kind: "pglite" | "postgres";
  readonly db: EngineDb;
  /** Apply pending migrations from `drizzle/`; a no-op when up to date. */
  migrate(): Promise<void>;
  /** Cheap round trip (`select 1`), for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Migrations folder (`<package root>/drizzle`). This file lives two levels below the root both as
 * `src/persistence/*.ts` (tsx, vitest) and as `dist/persistence/*.js` (built), so one relative URL serves both.
 */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));
