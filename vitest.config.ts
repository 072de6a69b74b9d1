import { configDefaults, defineConfig } from "vitest/config";

/**
 * Three tiers, one project each (`npm run test:unit`, `test:integration`, `test:heavy`; `npm test` runs all three):
 *
 * - unit: pure tests, no models, no servers, no databases. Listed by file; a new pure test file is unit when its
 *   name ends in `.unit.test.ts`.
 * - heavy: the browser test, the small load run and the fuzz replays (and any `*.heavy.test.ts`).
 * - integration: every other test file, so a new file lands here unless it matches a unit or heavy glob.
 */
const UNIT = [
  "test/**/*.unit.test.ts",
  "test/actors/session-machine.test.ts",
  "test/inference/asr-queue.test.ts",
  "test/inference/audio.test.ts",
  "test/inference/segmenter.test.ts",
  "test/loadtest/load-options.test.ts",
  "test/metrics/exposition.test.ts",
];
const HEAVY = ["test/**/*.heavy.test.ts", "test/web/**/*.test.ts", "test/loadtest/small-load.test.ts", "test/fuzz/**/*.test.ts"];

/** Real servers, databases and models: generous limits (model loads and Whisper runs on 2 shared cores). */
const SLOW_LIMITS = { testTimeout: 30_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: UNIT,
          sequence: { groupOrder: 0 },
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...UNIT, ...HEAVY],
          ...SLOW_LIMITS,
          sequence: { groupOrder: 1 },
          // Most files start an engine (database, gRPC pool, Whisper and VAD) and then mostly wait on real time:
          // audio streamed at speaking pace, idle timeouts, child processes starting. Two at once on two cores
          // overlaps one file's waiting with the other's loading; more only queue on the CPUs.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: "heavy",
          include: HEAVY,
          // A pure test under test/web is unit: it is not run a second time here.
          exclude: [...configDefaults.exclude, "test/**/*.unit.test.ts"],
          ...SLOW_LIMITS,
          sequence: { groupOrder: 2 },
          // The browser and the load run each take both cores: one file at a time.
          maxWorkers: 1,
        },
      },
    ],
  },
});
