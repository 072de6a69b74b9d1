import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capLength, SentenceChunker } from "../../src/tutor/llm/sentence-chunker.js";

/** Every sentence the chunker gives for `deltas`, each tagged with the delta after which it came out. */
function run(deltas: string[], options: ConstructorParameters<typeof SentenceChunker>[0] = {}) {
  const chunker = new SentenceChunker(options);
  const out: { after: number; sentence: string }[] = [];
  deltas.forEach((delta, i) => {
    for (const sentence of chunker.push(delta)) out.push({ after: i, sentence });
  });
  for (const sentence of chunker.flush()) out.push({ after: deltas.length, sentence });
  return out;
}

const sentencesOf = (deltas: string[], options?: ConstructorParameters<typeof SentenceChunker>[0]) => run(deltas, options).map((o) => o.sentence);

/** `text` streamed one character at a time. */
const chars = (text: string) => [...text];

describe("SentenceChunker", () => {
  it("gives a sentence as soon as the next one begins", () => {
    const out = run(["Hello", " there", ".", " How", " are", " you?"]);
    expect(out).toEqual([
      { after: 3, sentence: "Hello there." },
      { after: 6, sentence: "How are you?" },
    ]);
  });

  it("gives a sentence once its punctuation is followed by whitespace, before the next word", () => {
    const chunker = new SentenceChunker();
    expect(chunker.push("Great question.")).toEqual([]);
    expect(chunker.push(" ")).toEqual(["Great question."]);
    expect(chunker.push("Is it clear? ")).toEqual(["Is it clear?"]);
    expect(chunker.push('He said "yes." ')).toEqual(['He said "yes."']);
    expect(chunker.flush()).toEqual([]);
  });

  it("does not split after abbreviations", () => {
    expect(sentencesOf(chars("Ask Dr. Smith about it. Then rest."))).toEqual(["Ask Dr. Smith about it.", "Then rest."]);
    expect(sentencesOf(chars("Use a tool, e.g. a fork. Then eat."))).toEqual(["Use a tool, e.g. a fork.", "Then eat."]);
    expect(sentencesOf(chars("Use a tool, e.g. Python. Then run it."))).toEqual(["Use a tool, e.g. Python.", "Then run it."]);
    expect(sentencesOf(chars("Mr. Brown and Mrs. Green agree. Good."))).toEqual(["Mr. Brown and Mrs. Green agree.", "Good."]);
    expect(sentencesOf(chars("That is, i.e. the sum. Next."))).toEqual(["That is, i.e. the sum.", "Next."]);
    expect(sentencesOf(chars("Read J. K. Rowling. Enjoy."))).toEqual(["Read J. K. Rowling.", "Enjoy."]);
  });

  it("does not split decimals, even when a delta ends at the point", () => {
    expect(sentencesOf(["Pi is about 3.", "14", " and e is 2.", "718. ", "Both are irrational."])).toEqual([
      "Pi is about 3.14 and e is 2.718.",
      "Both are irrational.",
    ]);
    expect(sentencesOf(chars("It costs $3.50. That is cheap."))).toEqual(["It costs $3.50.", "That is cheap."]);
  });

  it("keeps a list number with its item", () => {
    expect(sentencesOf(chars("Two steps:\n1. Add them. 2. Divide."))).toEqual(["Two steps:", "1. Add them.", "2. Divide."]);
  });

  it("flushes the rest, with or without final punctuation", () => {
    const chunker = new SentenceChunker();
    expect(chunker.push("One. Two")).toEqual(["One."]);
    expect(chunker.flush()).toEqual(["Two"]);
    expect(chunker.flush()).toEqual([]);
    expect(chunker.push("   ")).toEqual([]);
    expect(chunker.flush()).toEqual([]);
  });

  it("reset drops what is pending", () => {
    const chunker = new SentenceChunker();
    chunker.push("Half a sent");
    chunker.reset();
    expect(chunker.push("ence. Next")).toEqual(["ence."]);
  });

  it("cuts a run-on sentence at the last comma, else the last space, within the cap", () => {
    const runOn = "This goes on, and on and on without a stop for a long while and then some more words follow here";
    const out = sentencesOf(chars(runOn), { maxChars: 40 });
    expect(out.every((s) => s.length <= 40)).toBe(true);
    expect(out.join(" ")).toBe(runOn);
    expect(out[0]).toBe("This goes on, and on and on without a");
    const commas = sentencesOf(["Alpha beta gamma delta, epsilon zeta eta theta iota kappa lambda"], { maxChars: 30 });
    expect(commas[0]).toBe("Alpha beta gamma delta,");
  });

  it("gives capped pieces before the run-on sentence ends", () => {
    const chunker = new SentenceChunker({ maxChars: 20 });
    expect(chunker.push("one two three four five six")).toEqual(["one two three four"]);
    expect(chunker.flush()).toEqual(["five six"]);
  });

  it("hard-cuts one word longer than the cap, never inside a surrogate pair", () => {
    expect(capLength("a".repeat(25), 10)).toEqual({ pieces: ["a".repeat(10), "a".repeat(10)], rest: "aaaaa" });
    const emoji = `${"a".repeat(9)}😀bbb`;
    const { pieces, rest } = capLength(emoji, 10);
    expect(pieces).toEqual(["a".repeat(9)]);
    expect(rest).toBe("😀bbb");
  });

  it("gives the same sentences however well-formed text is split into deltas", () => {
    const sentence = fc
      .array(fc.constantFrom("the", "sum", "is", "3.14", "e.g.", "Dr.", "Smith", "two", "apples,", "and"), { minLength: 1, maxLength: 8 })
      .chain((words) => fc.constantFrom(".", "?", "!").map((stop) => `${["So", ...words].join(" ")}${stop}`));
    fc.assert(
      fc.property(fc.array(sentence, { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (sentences, sizes) => {
        const text = sentences.join(" ");
        const deltas: string[] = [];
        for (let at = 0, i = 0; at < text.length; i += 1) {
          const size = sizes[i % sizes.length] ?? 1;
          deltas.push(text.slice(at, at + size));
          at += size;
        }
        expect(sentencesOf(deltas)).toEqual(sentencesOf([text]));
        expect(sentencesOf(deltas).join(" ")).toBe(text);
      }),
    );
  });
});
