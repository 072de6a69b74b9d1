/**
 * A throwaway PostgreSQL database per test file, so tests against a shared server never see each other's rows
 * or migrations. Needs a role allowed to CREATE DATABASE; dropping uses `WITH (FORCE)` (PostgreSQL 13+).
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";

export interface FreshPostgresDatabase {
  /** `baseUrl` with its database name replaced by the new one. */
  url: string;
  /** Drops the database, terminating any connection still open on it. */
  drop: () => Promise<void>;
}

export async function createFreshPostgresDatabase(baseUrl: string): Promise<FreshPostgresDatabase> {
  const name = `engine_test_${randomBytes(6).toString("hex")}`;
  await withAdmin(baseUrl, async (admin) => {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  });
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(baseUrl, async (admin) => {
        await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }),
  };
}

async function withAdmin(baseUrl: string, run: (admin: postgres.Sql) => Promise<void>): Promise<void> {
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    await run(admin);
  } finally {
    await admin.end();
  }
}
