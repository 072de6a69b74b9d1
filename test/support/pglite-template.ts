/**
 * A migrated, empty PGlite data folder that test engines start from. PGlite opens an existing folder in well under a
 * second, where a new one runs initdb first (2.6 s or more on these 2-core machines, paid by every engine a test file
 * starts). The template is built once per migration set and PGlite version into the temp folder, shared across test
 * files and runs (as the prepared Whisper model is), and copied into each engine's data folder before it starts.
 *
 * Only engines use it: the tests of the database backends themselves (test/persistence/) still create and migrate
 * fresh databases.
 */
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { cp, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { MIGRATIONS_FOLDER } from "../../src/persistence/database.js";
import { openPgliteDatabase } from "../../src/persistence/pglite-database.js";
import { fileExists, writeFileAtomically } from "../../src/cache-files.js";

const TEMPLATES_DIR = join(tmpdir(), "engine-test-pglite");
/** Bump when what the template holds changes in a way its key does not see. */
const TEMPLATE_FORMAT = 1;

let template: Promise<string> | undefined;

/** Copies the template into `<dataDir>/pglite`, where the engine's `openDatabase` looks for its embedded database. */
export async function seedPgliteDataDir(dataDir: string): Promise<void> {
  const source = await pgliteTemplate();
  await mkdir(dataDir, { recursive: true });
  await copyFolder(source, join(dataDir, "pglite"));
}

/** The template folder of this process's migrations, built on first use (by whichever process gets there first). */
export function pgliteTemplate(): Promise<string> {
  template ??= findOrBuild().catch((error: unknown) => {
    template = undefined;
    throw error;
  });
  return template;
}

async function findOrBuild(): Promise<string> {
  const folder = join(TEMPLATES_DIR, await templateKey());
  if (await fileExists(folder)) return folder;
  // Built aside and renamed into place: a folder under its final name is always complete, and concurrent builders
  // (parallel test files, other runs) never see each other's half-written files.
  const building = `${folder}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const database = await openPgliteDatabase({ dataDir: building });
    try {
      await database.migrate();
    } finally {
      await database.close();
    }
    await rename(building, folder);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    // Another process renamed its build into place first: use that one.
    if (await fileExists(folder)) return folder;
    throw error;
  }
  return folder;
}

/** Changes with the migrations (names and contents) and with the PGlite package. */
async function templateKey(): Promise<string> {
  const hash = createHash("sha256").update(`${TEMPLATE_FORMAT}|${await pgliteVersion()}`);
  for (const file of await filesUnder(MIGRATIONS_FOLDER)) {
    hash.update(`|${file}|`).update(await readFile(join(MIGRATIONS_FOLDER, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

async function pgliteVersion(): Promise<string> {
  // The package's exports hide its package.json: walk up from the entry point instead.
  let dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  for (;;) {
    const manifest = await readFile(join(dir, "package.json"), "utf8").catch(() => null);
    if (manifest !== null) {
      const parsed: unknown = JSON.parse(manifest);
      if (typeof parsed === "object" && parsed !== null && "name" in parsed && parsed.name === "@electric-sql/pglite" && "version" in parsed) {
        return String(parsed.version);
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find @electric-sql/pglite's package.json");
    dir = parent;
  }
}

async function filesUnder(root: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(join(root, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await filesUnder(root, path)));
    else files.push(path);
  }
  return files;
}

/** `cp -R` (≈ 0.1 s for the template's thousand files); Node's `fs.cp` takes several times as long. */
async function copyFolder(source: string, target: string): Promise<void> {
  try {
    await promisify(execFile)("cp", ["-R", source, target]);
  } catch {
    await rm(target, { recursive: true, force: true });
    await cp(source, target, { recursive: true });
  }
}

