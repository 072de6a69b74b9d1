import type { ExpressionName } from "../../src/protocol/server-messages.js";

/** The expression badge's words (pure: unit-tested without a browser). */
const EXPRESSION_EMOJI: Record<ExpressionName, string> = {
  angry: "😠",
  disgust: "🤢",
  fear: "😨",
  happy: "😊",
  sad: "😢",
  surprise: "😮",
  neutral: "😐",
};

export function isExpressionName(name: string): name is ExpressionName {
  return Object.hasOwn(EXPRESSION_EMOJI, name);
}

/** What the analysis last said of a participant's camera: none until their first analysed frame. */
export interface Analysis {
  faces: number;
  expression: ExpressionName | null;
}

/**
 * The badge: "😊 happy" (the main face's expression), "😊 happy · 2 faces", "no face", or "1 face" when faces were
 * found but no expression scored.
 */
export function badgeText(analysis: Analysis): string {
  const { faces, expression } = analysis;
  if (faces === 0) return "no face";
  const count = `${faces} face${faces > 1 ? "s" : ""}`;
  if (expression === null) return count;
  return `${EXPRESSION_EMOJI[expression]} ${expression}${faces > 1 ? ` · ${count}` : ""}`;
}
