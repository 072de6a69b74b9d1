import { describe, expect, it } from "vitest";
import {
  alignWords,
  combineWordErrorRates,
  normalizeWords,
  spellNumber,
  wordErrorRate,
} from "../../src/inference/quality/word-error-rate.js";

describe("word error rate", () => {
  it("is zero for the same words, whatever the case and punctuation", () => {
    expect(wordErrorRate("Hello, world!", "hello world")).toEqual({ wer: 0, substitutions: 0, deletions: 0, insertions: 0, referenceWords: 2 });
  });

  it("counts one substitution, deletion or insertion each", () => {
    expect(wordErrorRate("the cat sat on the mat", "the cat sat on a mat")).toMatchObject({ substitutions: 1, deletions: 0, insertions: 0 });
    expect(wordErrorRate("the cat sat on the mat", "the cat sat on mat")).toMatchObject({ substitutions: 0, deletions: 1, insertions: 0 });
    expect(wordErrorRate("the cat sat on the mat", "the cat sat down on the mat")).toMatchObject({ substitutions: 0, deletions: 0, insertions: 1 });
    expect(wordErrorRate("the cat sat on the mat", "the cat sat on a mat").wer).toBeCloseTo(1 / 6, 12);
  });

  it("finds the shortest alignment: a missing first word is one deletion, not a chain of substitutions", () => {
    expect(wordErrorRate("a b c d", "b c d")).toMatchObject({ substitutions: 0, deletions: 1, insertions: 0, wer: 0.25 });
    expect(wordErrorRate("b c d", "a b c d")).toMatchObject({ substitutions: 0, deletions: 0, insertions: 1 });
  });

  it("mixes all three kinds in one alignment", () => {
    // reference: please send the meeting notes today; hypothesis drops "please", swaps "notes", adds "now".
    const result = wordErrorRate("please send the meeting notes today", "send the meeting votes today now");
    expect(result).toEqual({ wer: 3 / 6, substitutions: 1, deletions: 1, insertions: 1, referenceWords: 6 });
  });

  it("can exceed 1 when the hypothesis is mostly inserted words", () => {
    expect(wordErrorRate("yes", "no no no")).toEqual({ wer: 3, substitutions: 1, deletions: 0, insertions: 2, referenceWords: 1 });
  });

  it("treats empty texts as documented", () => {
    expect(wordErrorRate("", "")).toEqual({ wer: 0, substitutions: 0, deletions: 0, insertions: 0, referenceWords: 0 });
    expect(wordErrorRate("", "hello there").wer).toBe(2);
    expect(wordErrorRate("hello there", "")).toMatchObject({ wer: 1, deletions: 2 });
  });

  it("normalizes case, punctuation, hyphens, apostrophes and numbers", () => {
    expect(normalizeWords("Don’t stop — it's WELL-known; 'quoted', sic.")).toEqual(["don't", "stop", "it's", "well", "known", "quoted", "sic"]);
    expect(normalizeWords("I have 3 cats and 1,250 fish, 42nd")).toEqual([
      "i", "have", "three", "cats", "and", "one", "thousand", "two", "hundred", "fifty", "fish", "forty", "two", "nd",
    ]);
    expect(wordErrorRate("twenty one guns", "21 guns.").wer).toBe(0);
    expect(normalizeWords("Café au lait")).toEqual(["café", "au", "lait"]);
  });

  it("drops Whisper's bracketed and parenthesized annotations", () => {
    expect(normalizeWords("[Music] hello (speaking in foreign language) world [ Inaudible ]")).toEqual(["hello", "world"]);
    expect(wordErrorRate("two words", "[Music]")).toMatchObject({ deletions: 2, insertions: 0, wer: 1 });
  });

  it("spells integers up to 999,999", () => {
    expect(spellNumber(0)).toBe("zero");
    expect(spellNumber(13)).toBe("thirteen");
    expect(spellNumber(90)).toBe("ninety");
    expect(spellNumber(101)).toBe("one hundred one");
    expect(spellNumber(2000)).toBe("two thousand");
    expect(spellNumber(999_999)).toBe("nine hundred ninety nine thousand nine hundred ninety nine");
    expect(() => spellNumber(1_000_000)).toThrow(RangeError);
    expect(normalizeWords("1000000")).toEqual(["1000000"]);
  });

  it("aligns word arrays directly and sums a corpus by errors, not by mean", () => {
    expect(alignWords(["a", "b"], ["a", "c"])).toMatchObject({ substitutions: 1, wer: 0.5 });
    const corpus = combineWordErrorRates([wordErrorRate("a b c d", "a b c d"), wordErrorRate("e f", "x f")]);
    expect(corpus).toEqual({ wer: 1 / 6, substitutions: 1, deletions: 0, insertions: 0, referenceWords: 6 });
  });
});
