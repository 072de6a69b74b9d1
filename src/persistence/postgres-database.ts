/**
 * Real backend: a PostgreSQL server over postgres.js. Used when `DATABASE_URL` is configured (several nodes, or
 * data that must outlive the host).
 */
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { EngineError } from "../errors.js";
import { MIGRATIONS_FOLDER, type Database } from "./database.js";
import * as schema from "./schema.js";

export interface PostgresDatabaseOptions {
  url: string;
  /** Pool size. */
  maxConnections?: number;
  /** How long to wait for a connection before giving up. */
  connectTimeoutMs?: number;
}

const POSTGRES_DEFAULTS = {
  maxConnections: 10,
  connectTimeoutMs: 10_000,
} satisfies Partial<PostgresDatabaseOptions>;

/** Opens the pool and checks the server answers, so a bad URL fails here rather than on the first query. */
export async function openPostgresDatabase(options: PostgresDatabaseOptions): Promise<Database> {
  const settings = { ...POSTGRES_DEFAULTS, ...withoutUndefined(options) };
  const client = connect(settings.url, settings.maxConnections, settings.connectTimeoutMs);
  const db = drizzle({ client, schema });
  try {
    await db.execute(sql`select 1`);
  } catch (cause) {
    await client.end({ timeout: 0 }).catch(() => undefined);
    throw unavailable("cannot connect to PostgreSQL", cause);
  }
  return {
    kind: "postgres",
    db,
    async migrate() {
      // A dedicated single connection: the migrator's lock and transaction must not be split across a pool.
      const migrationClient = connect(settings.url, 1, settings.connectTimeoutMs);
      try {
        await migrate(drizzle({ client: migrationClient }), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await migrationClient.end();
      }
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      await client.end();
    },
  };
}

function connect(url: string, max: number, connectTimeoutMs: number): postgres.Sql {
  // onnotice: silence "relation already exists, skipping" and similar notices from idempotent migrations.
  return postgres(url, { max, connect_timeout: Math.ceil(connectTimeoutMs / 1000), onnotice: () => {} });
}

function unavailable(message: string, cause: unknown): EngineError {
  return new EngineError("database_unavailable", message, { cause });
}

/** So an explicit `undefined` in the options does not override a default. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
