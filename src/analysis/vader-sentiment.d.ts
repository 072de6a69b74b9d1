/** The slice of `vader-sentiment` (a JavaScript port of VADER; the package ships no types) the analysis uses. */
declare module "vader-sentiment" {
  export interface PolarityScores {
    neg: number;
    neu: number;
    pos: number;
    /** The normalised sum of the text's valences, −1 (most negative) to 1 (most positive). */
    compound: number;
  }
  export const SentimentIntensityAnalyzer: {
    polarity_scores(text: string): PolarityScores;
  };
}
