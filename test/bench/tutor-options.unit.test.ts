import { describe, expect, it } from "vitest";
import { longReplyTurns, sessionPlan, firstSentence, llmPaceToFirstSentenceMs, LONG_REPLY } from "../../scripts/bench/tutor-script.js";
import { DEFAULT_TUTOR_JSON_PATH, parseTutorBenchOptions, TutorBenchUsageError } from "../../scripts/bench/tutor-options.js";

/** bench:tutor's flags, and the plan of what its students ask. */

function parsed(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const options = parseTutorBenchOptions(argv, env);
  if (options === "help") throw new Error("expected options");
  return options;
}

describe("parseTutorBenchOptions", () => {
  it("defaults to 1 and 8 sessions of 5 turns with 2 barge-ins, the profile's turn settings, the engine's ASR lanes", () => {
    expect(parsed([])).toMatchObject({
      mode: "full",
      sessionCounts: [1, 8],
      turns: 5,
      bargeIns: 2,
      tokenIntervalMs: 20,
      endOfTurnSilenceMs: null,
      minInterruptionMs: null,
      asrLanes: null,
      jsonPath: DEFAULT_TUTOR_JSON_PATH,
      modelsDir: "data/models",
      logLevel: "silent",
    });
    expect(parseTutorBenchOptions(["--help"], {})).toBe("help");
  });

  it("keeps the levels in the order given, each once; takes --out as --json", () => {
    expect(parsed(["--sessions", "8, 1,8", "--out", "x.json"])).toMatchObject({ sessionCounts: [8, 1], jsonPath: "x.json" });
    expect(() => parsed(["--json", "a.json", "--out", "b.json"])).toThrow(TutorBenchUsageError);
  });

  it("takes the tutor's turn settings within the profile's bounds", () => {
    expect(parsed(["--end-of-turn-silence-ms", "300", "--min-interruption-ms", "100", "--asr-lanes", "1"])).toMatchObject({
      endOfTurnSilenceMs: 300,
      minInterruptionMs: 100,
      asrLanes: 1,
    });
    expect(() => parsed(["--end-of-turn-silence-ms", "150"])).toThrow(TutorBenchUsageError);
    expect(() => parsed(["--min-interruption-ms", "50"])).toThrow(TutorBenchUsageError);
  });

  it("refuses what is not a whole number in range, and more barge-ins than questions can speak over", () => {
    for (const argv of [["--turns", "0"], ["--turns", "2.5"], ["--sessions", "1,,8"], ["--token-interval-ms", ""], ["--turns", "3", "--barge-ins", "3"]]) {
      expect(() => parsed(argv), argv.join(" ")).toThrow(TutorBenchUsageError);
    }
  });

  it("quick mode is the same levels with fewer turns, and flags still override it", () => {
    expect(parsed(["--quick"])).toMatchObject({ mode: "quick", sessionCounts: [1, 8], turns: 3, bargeIns: 1 });
    expect(parsed(["--quick", "--turns", "6"])).toMatchObject({ turns: 6, bargeIns: 1 });
  });

  it("reads the models folder from MODELS_DIR, else DATA_DIR", () => {
    expect(parsed([], { MODELS_DIR: "/m" }).modelsDir).toBe("/m");
    expect(parsed([], { DATA_DIR: "/d" }).modelsDir).toBe("/d/models");
  });
});

describe("the students' plan", () => {
  it("puts long replies from the second-to-last turn back, every other one, so an interrupting question is heard out", () => {
    expect([...longReplyTurns(5, 2)].sort()).toEqual([1, 3]);
    expect([...longReplyTurns(5, 0)]).toEqual([]);
    expect([...longReplyTurns(3, 2)].sort()).toEqual([0, 1]);
  });

  it("marks the question after a long reply as interrupting; sessions ask different questions in different voices", () => {
    const a = sessionPlan(0, 5, 2);
    expect(a.map((q) => [q.longReply, q.interrupting])).toEqual([
      [false, false],
      [true, false],
      [false, true],
      [true, false],
      [false, true],
    ]);
    const b = sessionPlan(1, 5, 2);
    expect(b[0]?.text).not.toBe(a[0]?.text);
    expect(b[0]?.voice).not.toBe(a[0]?.voice);
    expect(a.filter((q) => q.longReply).every((q) => q.reply === LONG_REPLY)).toBe(true);
  });

  it("knows the stand-in's pace to the first sentence: its words and the next token, each one interval", () => {
    expect(firstSentence("A spider has eight legs. Insects have six.")).toBe("A spider has eight legs.");
    expect(llmPaceToFirstSentenceMs("A spider has eight legs. Insects have six.", 20)).toBe(120);
  });
});
