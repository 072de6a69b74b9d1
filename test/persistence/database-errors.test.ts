import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isConnectionLost, isDatabaseUnavailable } from "../../src/persistence/database-errors.js";
import type { Database } from "../../src/persistence/database.js";
import { openPostgresDatabase } from "../../src/persistence/postgres-database.js";
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from "../support/postgres.js";

const baseUrl = process.env["DATABASE_URL"];

/** The rejection of `run`, which must reject. */
async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("database errors from PGlite", () => {
  it("a closed database is unavailable; a constraint violation is not", async () => {
    const client = await PGlite.create();
    await client.exec("create table t (id int primary key)");
    await client.exec("insert into t values (1)");
    const duplicate = await failureOf(() => client.exec("insert into t values (1)"));
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    await client.close();
    const closed = await failureOf(() => client.query("select 1"));
    expect(isDatabaseUnavailable(closed)).toBe(true);
    expect(isConnectionLost(closed)).toBe(false);
  });
});

describe.skipIf(!baseUrl)("database errors from PostgreSQL (needs DATABASE_URL)", () => {
  let fresh: FreshPostgresDatabase;
  let admin: postgres.Sql;
  let name: string;
  beforeAll(async () => {
    fresh = await createFreshPostgresDatabase(baseUrl ?? "");
    name = new URL(fresh.url).pathname.slice(1);
    admin = postgres(baseUrl ?? "", { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await admin?.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    await fresh?.drop();
  });

  const terminateAll = () => admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name} AND pid <> pg_backend_pid()`;

  it("refused, terminated (57P01), not accepting connections (55000 FATAL) and ended clients are unavailable; a bad statement is not", async () => {
    const refused = postgres("postgres://postgres@127.0.0.1:1/none", { connect_timeout: 2, fetch_types: false });
    const refusal = await failureOf(() => refused`select 1`);
    await refused.end();
    expect(refusal).toMatchObject({ code: "ECONNREFUSED" });
    expect(isDatabaseUnavailable(refusal)).toBe(true);

    const client = postgres(fresh.url, { max: 1, fetch_types: false, onnotice: () => {} });
    const sleeping = failureOf(() => client`select pg_sleep(30)`);
    await expect.poll(async () => (await admin`SELECT 1 FROM pg_stat_activity WHERE datname = ${name} AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()`).length).toBe(1);
    await terminateAll();
    // The FATAL 57P01 ("terminating connection due to administrator command"), or the close when it comes first.
    const terminated = await sleeping;
    expect(["57P01", "CONNECTION_CLOSED"]).toContain((terminated as { code?: unknown }).code);
    expect(isConnectionLost(terminated)).toBe(true);

    // The first query after the termination may still meet the killed connection: the driver reconnects for the next.
    let bad = await failureOf(() => client`select * from no_such_table`);
    if (isConnectionLost(bad)) bad = await failureOf(() => client`select * from no_such_table`);
    expect(bad).toMatchObject({ code: "42P01" });
    expect(isDatabaseUnavailable(bad)).toBe(false);

    await admin.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    await terminateAll();
    const notAccepting = await failureOf(() => client`select 1`);
    await admin.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
    expect(isDatabaseUnavailable(notAccepting)).toBe(true);

    // With a timeout: after a termination postgres.js' end() can wait for ever on the killed connection's query
    // (why the engine's close() passes one too).
    await client.end({ timeout: 1 });
    const ended = await failureOf(() => client`select 1`);
    expect(ended).toMatchObject({ code: "CONNECTION_ENDED" });
    expect(isDatabaseUnavailable(ended)).toBe(true);
  });

  describe("the engine's PostgreSQL database", () => {
    let database: Database;
    beforeAll(async () => {
      database = await openPostgresDatabase({ url: fresh.url });
      await database.db.execute(sql`create table if not exists t (id serial primary key, v int not null)`);
    });
    afterAll(async () => {
      await database?.close();
    });

    it("Drizzle's wrapped errors are classified by their cause", async () => {
      const failure = await failureOf(() => database.db.execute(sql`select * from no_such_table`));
      expect(isDatabaseUnavailable(failure)).toBe(false);
      await admin.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await terminateAll();
      try {
        const down = await failureOf(() => database.db.execute(sql`select 1`));
        expect(isDatabaseUnavailable(down)).toBe(true);
      } finally {
        await admin.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      }
    });

    it("transactions whose connections are terminated under them fail with a catchable error: the process survives", async () => {
      // postgres.js alone crashes the process here (a ROLLBACK written to a closed socket from setImmediate,
      // porsager/postgres#1154): vitest would report the uncaught TypeError and fail this test.
      let stop = false;
      let kills = 0;
      const killer = (async () => {
        while (!stop) {
          kills += (await terminateAll()).length;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const outcomes = { committed: 0, unavailable: 0, other: [] as unknown[] };
      const deadline = Date.now() + 3_000;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (Date.now() < deadline) {
            try {
              await database.db.transaction(async (tx) => {
                await tx.execute(sql`insert into t (v) values (1)`);
                await tx.execute(sql`select pg_sleep(0.005)`);
              });
              outcomes.committed += 1;
            } catch (error) {
              if (isDatabaseUnavailable(error)) outcomes.unavailable += 1;
              else outcomes.other.push(error);
            }
          }
        }),
      );
      stop = true;
      await killer;
      expect(kills).toBeGreaterThan(10);
      expect(outcomes.unavailable).toBeGreaterThan(0);
      // Every error the terminations caused (57P01, CONNECTION_CLOSED, ECONNRESET, seen through Drizzle) reads as unavailable.
      expect(outcomes.other).toEqual([]);
      // And the pool serves again once the terminations stop (the first query on a killed idle connection may fail).
      await expect.poll(() => database.db.execute(sql`select count(*) from t`).then(() => true, () => false)).toBe(true);
    }, 30_000);
  });
});
