// Bundles the browser client (web/src) with esbuild into web/dist, which the engine serves at `/`, with its favicon.
// Plain .mjs so `npm run build:web`, `npm start` and the browser tests run it with node alone.
import { build } from "esbuild";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../web/", import.meta.url));
const outdir = `${root}dist`;

/** Distance from (x, y) to the segment a–b, less `r`: negative inside a capsule of radius r. */
function capsule(x, y, ax, ay, bx, by, r) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(x - ax - t * dx, y - ay - t * dy) - r;
}

/** The shapes of web/favicon.svg (32 × 32 units): 0 outside, 1 blue tile, 2 white microphone. */
function faviconShape(x, y) {
  // The tile: a 32-unit square with corners of radius 7.
  const qx = Math.abs(x - 16) - 9;
  const qy = Math.abs(y - 16) - 9;
  const tile = Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - 7;
  if (tile > 0) return 0;
  // The stand: the lower half of a circle (round caps), its stem and its foot.
  const arc = y >= 15 ? Math.abs(Math.hypot(x - 16, y - 15) - 7.5) - 1.1 : Math.min(Math.hypot(x - 8.5, y - 15), Math.hypot(x - 23.5, y - 15)) - 1.1;
  const mic = Math.min(capsule(x, y, 16, 9, 16, 15, 4), arc, capsule(x, y, 16, 22.5, 16, 27, 1.1), capsule(x, y, 12, 27, 20, 27, 1.1));
  return mic <= 0 ? 2 : 1;
}

/**
 * favicon.ico: the SVG's drawing rasterised at 32 × 32 (4 × 4 samples a pixel), as a 32-bit BMP icon, for clients
 * that ask for /favicon.ico without reading the page's <link rel=icon>.
 */
function faviconIco() {
  const size = 32;
  const samples = 4;
  const pixels = Buffer.alloc(size * size * 4);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      let tile = 0;
      let mic = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const shape = faviconShape(col + (sx + 0.5) / samples, row + (sy + 0.5) / samples);
          if (shape === 2) mic += 1;
          else if (shape === 1) tile += 1;
        }
      }
      const n = samples * samples;
      const alpha = (tile + mic) / n;
      const white = alpha === 0 ? 0 : mic / (tile + mic);
      // #1a5fb4 blended towards white; BMP rows run bottom-up, BGRA.
      const offset = ((size - 1 - row) * size + col) * 4;
      pixels[offset] = Math.round(0xb4 + (0xff - 0xb4) * white);
      pixels[offset + 1] = Math.round(0x5f + (0xff - 0x5f) * white);
      pixels[offset + 2] = Math.round(0x1a + (0xff - 0x1a) * white);
      pixels[offset + 3] = Math.round(255 * alpha);
    }
  }
  const mask = Buffer.alloc((size / 8) * size); // 1 bit a pixel, rows of 4 bytes: all 0, the alpha channel rules
  const header = Buffer.alloc(6 + 16 + 40);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(1, 4); // one image
  header.writeUInt8(size, 6);
  header.writeUInt8(size, 7);
  header.writeUInt16LE(1, 10); // planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(40 + pixels.length + mask.length, 14);
  header.writeUInt32LE(22, 18); // image offset
  header.writeUInt32LE(40, 22); // BITMAPINFOHEADER
  header.writeInt32LE(size, 26);
  header.writeInt32LE(size * 2, 30); // colour and mask stacked
  header.writeUInt16LE(1, 34);
  header.writeUInt16LE(32, 36);
  header.writeUInt32LE(pixels.length + mask.length, 42);
  return Buffer.concat([header, pixels, mask]);
}

await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { app: `${root}src/app.ts`, "capture-worklet": `${root}src/capture-worklet.ts` },
  outdir,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: true,
  minify: true,
  logLevel: "warning",
});
await copyFile(`${root}index.html`, `${outdir}/index.html`);
await copyFile(`${root}favicon.svg`, `${outdir}/favicon.svg`);
await writeFile(`${outdir}/favicon.ico`, faviconIco());
