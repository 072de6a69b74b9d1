import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { encode } from "jpeg-js";
import { PNG } from "pngjs";
import { fileExists, writeFileAtomically } from "../../src/cache-files.js";
import type { RgbImage } from "../../src/inference/video/rgb-image.js";
import { debianPackageFiles } from "./debian-package-files.js";

/**
 * Real photos for the video models, with no network beyond Debian's archive: scikit-image's sample data, shipped in
 * Debian's `python3-skimage` (`astronaut.png`: Eileen Collins' NASA portrait, public domain; `chelsea.png`: a cat;
 * `coffee.png`: a cup of coffee, Rachel Michetti, CC0).
 * The first use fetches the .deb with `apt-get download` and unpacks it with `dpkg-deb -x`; the PNGs and their JPEG
 * versions are then cached under node_modules/.cache/test-media/, keyed by the package version, for every later run.
 */
export type TestPhotoName = "astronaut" | "chelsea" | "coffee";

export interface TestPhoto {
  name: TestPhotoName;
  width: number;
  height: number;
  /** The photo as a camera frame: baseline JPEG, quality 90 (jpeg-js's encoder). */
  jpeg: Uint8Array;
  /** The PNG's own pixels, RGB (what a quality measure compares against: no JPEG loss). */
  rgb: RgbImage;
}

const PACKAGE = "python3-skimage";
const DATA_DIR = "usr/lib/python3/dist-packages/skimage/data";
const NAMES: readonly TestPhotoName[] = ["astronaut", "chelsea", "coffee"];
const JPEG_QUALITY = 90;

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
    // A copy as a plain Uint8Array: a Buffer's slice() shares its memory, and callers slice to corrupt a copy.
    jpeg = new Uint8Array(await readFile(jpegPath));
  } else {
    jpeg = new Uint8Array(encode({ width: png.width, height: png.height, data: png.data }, JPEG_QUALITY).data);
    await writeFileAtomically(jpegPath, jpeg);
  }
  return { name, width: png.width, height: png.height, jpeg, rgb: withoutAlpha(png.width, png.height, png.data) };
}

function withoutAlpha(width: number, height: number, rgba: Uint8Array): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgba.subarray(p * 4, p * 4 + 3), p * 3);
  return { width, height, data };
}

/** The cache folder holding every photo's PNG, filled from the .deb when missing. */
async function ensurePngs(): Promise<string> {
  return debianPackageFiles(PACKAGE, DATA_DIR, NAMES.map((name) => `${name}.png`));
}

