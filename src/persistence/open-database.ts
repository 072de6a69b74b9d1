/** Picks the backend from configuration: PostgreSQL when a URL is given, otherwise embedded PGlite under the data folder. */
import { join } from "node:path";
import type { Database } from "./database.js";
import { openPgliteDatabase } from "./pglite-database.js";
import { openPostgresDatabase } from "./postgres-database.js";

export interface OpenDatabaseOptions {
  /** `postgres://...`; when absent (or empty) the embedded database is used. */
  databaseUrl?: string;
  /** The engine's data folder; PGlite keeps its files in `<dataDir>/pglite`. */
  dataDir: string;
}

/** Opens (does not migrate) the configured database; fails with `database_unavailable` when it cannot be reached. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { databaseUrl, dataDir } = options;
  if (databaseUrl !== undefined && databaseUrl !== "") return openPostgresDatabase({ url: databaseUrl });
  return openPgliteDatabase({ dataDir: join(dataDir, "pglite") });
}
