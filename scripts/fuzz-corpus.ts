import { parseArgs } from "node:util";
import { MIN_CORPUS_ENTRIES, writeCorpus } from "../test/fuzz/corpus.js";
import { FUZZ_SURFACES } from "../test/fuzz/surfaces.js";

/** `npm run fuzz:corpus [-- --seed 9 --count 1200 --surface rest]`: regenerates the committed fuzz corpora. */
const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "9" },
    count: { type: "string", default: String(MIN_CORPUS_ENTRIES + 200) },
    surface: { type: "string" },
  },
});
const seed = Number(values.seed);
const count = Number(values.count);
if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 1) {
  process.stderr.write("--seed and --count take whole numbers\n");
  process.exit(2);
}
const chosen = FUZZ_SURFACES.filter((s) => values.surface === undefined || s.name === values.surface);
if (chosen.length === 0) {
  process.stderr.write(`no surface named ${values.surface ?? ""}; known: ${FUZZ_SURFACES.map((s) => s.name).join(", ")}\n`);
  process.exit(2);
}
for (const surface of chosen) {
  const path = writeCorpus(surface, surface.generate(seed, count));
  process.stdout.write(`${surface.name}: ${count} inputs → ${path}\n`);
}
