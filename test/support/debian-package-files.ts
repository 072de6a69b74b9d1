import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fileExists } from "../../src/cache-files.js";

const run = promisify(execFile);

/** Where test media from Debian packages is kept between runs, one folder per package version. */
const CACHE_ROOT = fileURLToPath(new URL("../../node_modules/.cache/test-media/", import.meta.url));

/**
 * Files (or folders) under `dataDir` of Debian package `pkg`, in a cache folder keyed by the package's version, which
 * is returned. The first use fetches the .deb with `apt-get download` (no network but Debian's archive) and unpacks it
 * with `dpkg-deb -x`; every later run, and every other test file, reads the cache.
 */
export async function debianPackageFiles(pkg: string, dataDir: string, names: readonly string[]): Promise<string> {
  const dir = join(CACHE_ROOT, `${pkg}_${await packageVersion(pkg)}`);
  if ((await Promise.all(names.map((name) => fileExists(join(dir, name))))).every(Boolean)) return dir;
  const work = await mkdtemp(join(tmpdir(), "test-media-"));
  try {
    try {
      await run("apt-get", ["download", pkg], { cwd: work, timeout: 120_000 });
    } catch (cause) {
      throw new Error(`could not fetch ${pkg} with apt-get download (has apt-get update run?)`, { cause });
    }
    const deb = (await readdir(work)).find((file) => file.endsWith(".deb"));
    if (deb === undefined) throw new Error(`apt-get download left no .deb for ${pkg}`);
    await run("dpkg-deb", ["-x", join(work, deb), join(work, "root")], { timeout: 120_000 });
    const staged = join(work, "staged");
    await mkdir(staged);
    for (const name of names) await cp(join(work, "root", dataDir, name), join(staged, name), { recursive: true });
    await mkdir(CACHE_ROOT, { recursive: true });
    try {
      await rename(staged, dir);
    } catch (error) {
      // The folder exists: another test file got there first, or an older cache holds fewer names; add what it lacks.
      for (const name of names) {
        if (!(await fileExists(join(dir, name)))) await cp(join(staged, name), join(dir, name), { recursive: true });
      }
      if (!(await Promise.all(names.map((name) => fileExists(join(dir, name))))).every(Boolean)) throw error;
    }
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The candidate version apt would fetch: read from the local package lists, no network. */
async function packageVersion(pkg: string): Promise<string> {
  const { stdout } = await run("apt-cache", ["show", "--no-all-versions", pkg], { timeout: 30_000 });
  const version = /^Version:\s*(\S+)/m.exec(stdout)?.[1];
  if (version === undefined) throw new Error(`apt-cache knows no ${pkg} (has apt-get update run?)`);
  return version.replace(/[^A-Za-z0-9.+~-]/g, "_");
}
