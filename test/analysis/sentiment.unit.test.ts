import { describe, expect, it } from "vitest";
import { aggregateSentiment, scoreText, sentimentLabel } from "../../src/analysis/sentiment.js";

describe("lexicon sentiment (VADER)", () => {
  it("labels at VADER's ±0.05 thresholds", () => {
    expect(sentimentLabel(0.05)).toBe("positive");
    expect(sentimentLabel(0.0499)).toBe("neutral");
    expect(sentimentLabel(-0.0499)).toBe("neutral");
    expect(sentimentLabel(-0.05)).toBe("negative");
  });

  it("handles negation and intensity", () => {
    expect(scoreText("The demo was good.").label).toBe("positive");
    expect(scoreText("The demo was not good.").label).toBe("negative");
    expect(scoreText("The demo was not bad.").label).toBe("positive");
    expect(scoreText("The demo was VERY good!!").compound).toBeGreaterThan(scoreText("The demo was good.").compound);
    expect(scoreText("The meeting is at three.")).toEqual({ compound: 0, label: "neutral" });
    expect(scoreText("")).toEqual({ compound: 0, label: "neutral" });
  });

  it("a speaker's mean is weighted by words; null without words", () => {
    expect(aggregateSentiment([{ compound: 0.8, words: 3 }, { compound: -0.4, words: 1 }])).toEqual({ compound: 0.5, label: "positive", segments: 2, words: 4 });
    expect(aggregateSentiment([])).toBeNull();
    expect(aggregateSentiment([{ compound: 0.9, words: 0 }])).toBeNull();
  });
});
