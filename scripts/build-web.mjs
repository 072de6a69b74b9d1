// Bundles the browser client (web/src) with esbuild into web/dist, which the engine serves at `/`.
// Plain .mjs so `npm run build:web`, `npm start` and the browser tests run it with node alone.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../web/", import.meta.url));
const outdir = `${root}dist`;

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
