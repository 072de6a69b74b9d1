import { parseArgs } from "node:util";
import { MIN_CORPUS_ENTRIES, readCorpus, writeCorpus } from "../test/fuzz/corpus.js";
import { FUZZ_SURFACES } from "../test/fuzz/surfaces.js";

/**
 * `npm run fuzz:corpus [-- --seed 9 --count 1200 --surface rest]` regenerates the committed fuzz corpora (without
 * `--count`, each surface's own size: 1,200 inputs, the bridge's 400);
 * `-- --append --seed 10 --count 300` grows them instead: the inputs already there stay as they are (a replay that
 * once found a bug keeps finding it) and the new seed's inputs are added after them.
 */
const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "9" },
    count: { type: "string" },
    surface: { type: "string" },
    append: { type: "boolean", default: false },
  },
});
const seed = Number(values.seed);
const countOf = (surface: (typeof FUZZ_SURFACES)[number]) => Number(values.count ?? surface.defaultCount ?? MIN_CORPUS_ENTRIES + 200);
if (!Number.isInteger(seed) || FUZZ_SURFACES.some((surface) => !Number.isInteger(countOf(surface)) || countOf(surface) < 1)) {
  process.stderr.write("--seed and --count take whole numbers\n");
  process.exit(2);
}
const chosen = FUZZ_SURFACES.filter((s) => values.surface === undefined || s.name === values.surface);
if (chosen.length === 0) {
  process.stderr.write(`no surface named ${values.surface ?? ""}; known: ${FUZZ_SURFACES.map((s) => s.name).join(", ")}\n`);
  process.exit(2);
}
for (const surface of chosen) {
  const existing = values.append ? readCorpus(surface) : [];
  // Ids are the surface's own (`room-17`); appended inputs get a seed prefix so they never collide with older ones.
  const added = surface.generate(seed, countOf(surface)).map((entry) =>
    values.append && typeof entry === "object" && entry !== null && "id" in entry ? { ...entry, id: `s${seed}-${String(entry.id)}` } : entry,
  );
  const path = writeCorpus(surface, [...existing, ...added]);
  process.stdout.write(`${surface.name}: ${existing.length} kept, ${added.length} added (seed ${seed}) → ${path}\n`);
}
