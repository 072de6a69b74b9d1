import { orAfter } from "../or-after.js";
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
import { isConnectionLost } from "./database-errors.js";
import * as schema from "./schema.js";

export interface PostgresDatabaseOptions {
  url: string;
  /** Pool size. */
  maxConnections?: number;
  /** How long to wait for a connection before giving up. */
  connectTimeoutMs?: number;
  /** How long `close()` lets queries in flight finish before it closes their connections. */
  closeTimeoutMs?: number;
  /** How long `ping()` (readiness) waits for its answer. */
  pingTimeoutMs?: number;
}

const POSTGRES_DEFAULTS = {
  maxConnections: 10,
  connectTimeoutMs: 10_000,
  closeTimeoutMs: 5_000,
  pingTimeoutMs: 2_000,
} satisfies Partial<PostgresDatabaseOptions>;

/**
 * How long a transaction whose connection was lost waits for postgres.js to reject it (its `begin()` races the
 * connection's close) before letting postgres.js roll back after all: the close follows the error at once, so this
 * only matters when a connection error left the connection open.
 */
const LOST_CONNECTION_GRACE_MS = 1_000;

/** Opens the pool and checks the server answers, so a bad URL fails here rather than on the first query. */
export async function openPostgresDatabase(options: PostgresDatabaseOptions): Promise<Database> {
  const settings = { ...POSTGRES_DEFAULTS, ...withoutUndefined(options) };
  const client = connect(settings.url, settings.maxConnections, settings.connectTimeoutMs);
  const db = drizzle({ client: withSafeTransactions(client), schema });
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
      // Bounded: while the server refuses connections, postgres.js can hold a query for its connect timeout or
      // longer (measured: 12 s for 2 of 48 pings right after `ALLOW_CONNECTIONS false`), and `/ready` must answer.
      const answered = await orAfter(db.execute(sql`select 1`).then(() => true), settings.pingTimeoutMs, false);
      if (!answered) throw unavailable(`PostgreSQL did not answer within ${settings.pingTimeoutMs} ms`, null);
    },
    async close() {
      await client.end({ timeout: Math.ceil(settings.closeTimeoutMs / 1000) });
    },
  };
}

function connect(url: string, max: number, connectTimeoutMs: number): postgres.Sql {
  // onnotice: silence "relation already exists, skipping" and similar notices from idempotent migrations.
  // fetch_types: off. Each new connection would first query the server's array types (the schema has no array
  // column), and postgres.js leaves that query's rejection unhandled when the connection is killed during it.
  return postgres(url, { max, connect_timeout: Math.ceil(connectTimeoutMs / 1000), fetch_types: false, onnotice: () => {} });
}

/**
 * The client with a `begin()` that never lets postgres.js roll back on a lost connection. postgres.js 3.4.9 answers a
 * transaction body's failure with `ROLLBACK` on the same connection; when the connection is gone (its socket already
 * null) that write runs from `setImmediate` and throws a TypeError no caller can catch: the process dies
 * (porsager/postgres#1154, #1208; reproduced here with `pg_terminate_backend` under writes). postgres.js already
 * rejects the transaction itself when its connection closes, so after a lost-connection error the body is left
 * pending instead: nothing more is sent on that connection, and the caller gets the close's CONNECTION_CLOSED.
 */
function withSafeTransactions(client: postgres.Sql): postgres.Sql {
  type Body<T> = (sql: postgres.TransactionSql) => T | Promise<T>;
  // Both of postgres.js' forms: `begin(body)` (Drizzle's) and `begin(options, body)`.
  const begin = <T>(first: string | Body<T>, second?: Body<T>) => {
    const options = typeof first === "string" ? first : "";
    const body = typeof first === "string" ? second : first;
    if (body === undefined) throw new TypeError("begin() needs a transaction body");
    let settled = false;
    let onSettled: () => void = () => {};
    const settling = new Promise<void>((resolve) => (onSettled = resolve));
    const transaction = client.begin(options, async (sql) => {
      try {
        return await body(sql);
      } catch (error) {
        if (!isConnectionLost(error)) throw error;
        await orAfter(settling, LOST_CONNECTION_GRACE_MS, undefined);
        // Rejected by the close: never settle, so postgres.js sends no ROLLBACK on the dead connection.
        if (settled) return new Promise<T>(() => {});
        throw error;
      }
    });
    const done = () => {
      settled = true;
      onSettled();
    };
    transaction.then(done, done);
    return transaction;
  };
  return new Proxy(client, {
    get: (target, property, receiver) => (property === "begin" ? begin : Reflect.get(target, property, receiver)),
  });
}


function unavailable(message: string, cause: unknown): EngineError {
  return new EngineError("database_unavailable", message, { cause });
}

/** So an explicit `undefined` in the options does not override a default. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
