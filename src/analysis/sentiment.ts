import { SentimentIntensityAnalyzer } from "vader-sentiment";

/**
 * Sentiment of transcript text with VADER (a lexicon and rules: negation, intensifiers, "but", punctuation), through
 * `vader-sentiment`. A lexicon scorer is transparent and runs anywhere in microseconds, but it reads words, not
 * meaning: sarcasm and domain terms are beyond it, and Whisper's mistakes become its mistakes.
 */

/** VADER's own thresholds on the compound score (its authors' recommendation). */
export const SENTIMENT_THRESHOLDS = { positive: 0.05, negative: -0.05 } as const;

/** How the scores were made, as the analysis states it. */
export const SENTIMENT_METHOD = {
  method: "lexicon",
  model: "vader-sentiment 1.1.3",
  positive_at_or_above: SENTIMENT_THRESHOLDS.positive,
  negative_at_or_below: SENTIMENT_THRESHOLDS.negative,
} as const;

export type SentimentLabel = "positive" | "neutral" | "negative";

export interface TextSentiment {
  /** VADER's compound score, −1 to 1. */
  compound: number;
  label: SentimentLabel;
}

export function sentimentLabel(compound: number): SentimentLabel {
  if (compound >= SENTIMENT_THRESHOLDS.positive) return "positive";
  if (compound <= SENTIMENT_THRESHOLDS.negative) return "negative";
  return "neutral";
}

/** Four decimals: VADER's own output precision. */
function rounded(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function scoreText(text: string): TextSentiment {
  const { compound } = SentimentIntensityAnalyzer.polarity_scores(text);
  const score = Number.isFinite(compound) ? compound : 0;
  return { compound: rounded(score), label: sentimentLabel(score) };
}

/** A speaker's sentiment over their segments. */
export interface AggregateSentiment extends TextSentiment {
  segments: number;
  words: number;
}

/**
 * The mean of the segments' compound scores weighted by their words, so a long statement counts for more than a
 * "yes"; null without words.
 */
export function aggregateSentiment(scored: readonly { compound: number; words: number }[]): AggregateSentiment | null {
  let words = 0;
  let weighted = 0;
  for (const segment of scored) {
    words += segment.words;
    weighted += segment.compound * segment.words;
  }
  if (words === 0) return null;
  const compound = weighted / words;
  return { compound: rounded(compound), label: sentimentLabel(compound), segments: scored.length, words };
}
