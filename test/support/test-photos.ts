import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { encode } from "jpeg-js";
import { PNG } from "pngjs";
import { fileExists, writeFileAtomically } from "../../src/cache-files.js";

const run = promisify(execFile);

/**
 * Real photos for the video models, with no network beyond Debian's archive: scikit-image's sample data, shipped in
 * Debian's `python3-skimage` (`astronaut.png`: Eileen Collins' NASA portrait, public domain; `chelsea.png`: a cat).
 * The first use fetches the .deb with `apt-get download` and unpacks it with `dpkg-deb -x`; the PNGs and their JPEG
 * versions are then cached under node_modules/.cache/test-media/, keyed by the package version, for every later run.
 */
export type TestPhotoName = "astronaut" | "chelsea";

export interface TestPhoto {
  name: TestPhotoName;
  width: number;
  height: number;
  /** The photo as a camera frame: baseline JPEG, quality 90 (jpeg-js's encoder). */
  jpeg: Uint8Array;
}

const PACKAGE = "python3-skimage";
const DATA_DIR = "usr/lib/python3/dist-packages/skimage/data";
const NAMES: readonly TestPhotoName[] = ["astronaut", "chelsea"];
const JPEG_QUALITY = 90;
const CACHE_ROOT = fileURLToPath(new URL("../../node_modules/.cache/test-media/", import.meta.url));

export interface TestPhotos {
  photo(name: TestPhotoName): Promise<TestPhoto>;
}

/** One per test file: shares one download and one encode per photo within it. */
export function createTestPhotos(): TestPhotos {
  let folder: Promise<string> | undefined;
  const photos = new Map<TestPhotoName, Promise<TestPhoto>>();
  return {
    photo(name) {
      folder ??= ensurePngs();
      let photo = photos.get(name);
      if (photo === undefined) {
        photo = folder.then((dir) => loadPhoto(dir, name));
        photos.set(name, photo);
      }
      return photo;
    },
  };
}

async function loadPhoto(dir: string, name: TestPhotoName): Promise<TestPhoto> {
  // pngjs decodes to RGBA whatever the file holds (8/16-bit, palette, grey), as jpeg-js encodes it.
  const png = PNG.sync.read(Buffer.from(await readFile(join(dir, `${name}.png`))));
  const jpegPath = join(dir, `${name}.q${JPEG_QUALITY}.jpg`);
  let jpeg: Uint8Array;
  if (await fileExists(jpegPath)) {
    jpeg = await readFile(jpegPath);
  } else {
    jpeg = encode({ width: png.width, height: png.height, data: png.data }, JPEG_QUALITY).data;
    await writeFileAtomically(jpegPath, jpeg);
  }
  return { name, width: png.width, height: png.height, jpeg };
}

/** The cache folder holding every photo's PNG, filled from the .deb when missing. */
async function ensurePngs(): Promise<string> {
  const version = await packageVersion();
  const dir = join(CACHE_ROOT, `${PACKAGE}_${version}`);
  if ((await Promise.all(NAMES.map((name) => fileExists(join(dir, `${name}.png`))))).every(Boolean)) return dir;
  const work = await mkdtemp(join(tmpdir(), "test-media-"));
  try {
    try {
      await run("apt-get", ["download", PACKAGE], { cwd: work, timeout: 120_000 });
    } catch (cause) {
      throw new Error(`could not fetch ${PACKAGE} with apt-get download (has apt-get update run?)`, { cause });
    }
    const deb = (await readdir(work)).find((file) => file.endsWith(".deb"));
    if (deb === undefined) throw new Error(`apt-get download left no .deb for ${PACKAGE}`);
    await run("dpkg-deb", ["-x", join(work, deb), join(work, "root")], { timeout: 120_000 });
    const staged = join(work, "photos");
    await mkdir(staged);
    for (const name of NAMES) await copyFile(join(work, "root", DATA_DIR, `${name}.png`), join(staged, `${name}.png`));
    await mkdir(CACHE_ROOT, { recursive: true });
    try {
      await rename(staged, dir);
    } catch (error) {
      // Another test file got there first: its folder is as good as ours.
      if (!(await fileExists(join(dir, "chelsea.png")))) throw error;
    }
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The candidate version apt would fetch: read from the local package lists, no network. */
async function packageVersion(): Promise<string> {
  const { stdout } = await run("apt-cache", ["show", "--no-all-versions", PACKAGE], { timeout: 30_000 });
  const version = /^Version:\s*(\S+)/m.exec(stdout)?.[1];
  if (version === undefined) throw new Error(`apt-cache knows no ${PACKAGE} (has apt-get update run?)`);
  return version.replace(/[^A-Za-z0-9.+~-]/g, "_");
}

