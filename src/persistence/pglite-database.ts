/**
 * Embedded backend: PGlite (Postgres compiled to WASM) in this process. Used when no `DATABASE_URL` is configured,
 * so a single node runs with zero infrastructure. Data lives in a folder, or only in memory when none is given.
 */
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { EngineError } from "../errors.js";
import { MIGRATIONS_FOLDER, type Database } from "./database.js";
import * as schema from "./schema.js";

export interface PgliteDatabaseOptions {
  /** Folder holding the database files (created if missing); in-memory when absent. */
  dataDir?: string;
}

export async function openPgliteDatabase(options: PgliteDatabaseOptions = {}): Promise<Database> {
  const { dataDir } = options;
  let client: PGlite;
  try {
    if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
    client = await PGlite.create(dataDir);
  } catch (cause) {
    throw new EngineError("database_unavailable", `cannot open embedded database${dataDir === undefined ? "" : ` in ${dataDir}`}`, { cause });
  }
  const db = drizzle({ client, schema });
  return {
    kind: "pglite",
    db,
    async migrate() {
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}
