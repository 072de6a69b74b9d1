/**
 * Word error rate of a transcript against a reference: (substitutions + deletions + insertions) / reference words,
 * from a word-level Levenshtein alignment of the normalized texts.
 *
 * Normalization, kept simple so a score means the same run to run:
 * - text in square brackets or parentheses is dropped: Whisper's non-speech annotations ("[Music]", "(speaking in
 *   foreign language)", "[ Inaudible ]"), which OpenAI's Whisper normalizer removes too, are no words of the speaker;
 * - lowercase (Unicode-aware), curly apostrophes made straight;
 * - digit groups joined ("1,000" → "1000"), then whole integers up to 999,999 spelled out in words ("42" →
 *   "forty two"), since Whisper writes numbers either way;
 * - hyphens and every other character that is not a letter, digit or in-word apostrophe become spaces
 *   ("well-known" → "well known", "don't" stays, "'quoted'" → "quoted").
 */
export interface WordErrorRate {
  /** Errors ÷ reference words; errors ÷ 1 when the reference is empty (so any insertion counts). */
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
}

export function wordErrorRate(reference: string, hypothesis: string): WordErrorRate {
  return alignWords(normalizeWords(reference), normalizeWords(hypothesis));
}

/** Sums errors over several pairs (the WER of a corpus, not the mean of per-sentence WERs). */
export function combineWordErrorRates(parts: readonly WordErrorRate[]): WordErrorRate {
  const sum = (pick: (part: WordErrorRate) => number) => parts.reduce((total, part) => total + pick(part), 0);
  const substitutions = sum((part) => part.substitutions);
  const deletions = sum((part) => part.deletions);
  const insertions = sum((part) => part.insertions);
  const referenceWords = sum((part) => part.referenceWords);
  return { wer: (substitutions + deletions + insertions) / Math.max(1, referenceWords), substitutions, deletions, insertions, referenceWords };
}

export function normalizeWords(text: string): string[] {
  const lowered = text
    .replace(/\[[^\]]*\]|\([^)]*\)/g, " ")
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/(\d),(?=\d{3}\b)/g, "$1");
  const spelled = lowered.replace(/\d+/g, (digits) => {
    const value = Number(digits);
    return value <= MAX_SPELLED ? ` ${spellNumber(value)} ` : ` ${digits} `;
  });
  // Apostrophes survive only between letters ("don't", "o'clock").
  const cleaned = spelled.replace(/(?<!\p{L})'|'(?!\p{L})/gu, " ").replace(/[^\p{L}\p{N}']+/gu, " ");
  return cleaned.split(" ").filter((word) => word !== "");
}

/**
 * Levenshtein over words with unit costs. The backtrace prefers a match or substitution, then a deletion, then an
 * insertion, so among equally short alignments the counts are deterministic.
 */
export function alignWords(reference: readonly string[], hypothesis: readonly string[]): WordErrorRate {
  const rows = reference.length + 1;
  const columns = hypothesis.length + 1;
  // distance[i * columns + j]: edits turning reference[0, i) into hypothesis[0, j).
  const distance = new Uint32Array(rows * columns);
  for (let i = 0; i < rows; i++) distance[i * columns] = i;
  for (let j = 0; j < columns; j++) distance[j] = j;
  const at = (i: number, j: number) => distance[i * columns + j] ?? 0;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const diagonal = at(i - 1, j - 1) + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
      distance[i * columns + j] = Math.min(diagonal, at(i - 1, j) + 1, at(i, j - 1) + 1);
    }
  }
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  let i = reference.length;
  let j = hypothesis.length;
  while (i > 0 || j > 0) {
    const here = at(i, j);
    if (i > 0 && j > 0) {
      const same = reference[i - 1] === hypothesis[j - 1];
      if (here === at(i - 1, j - 1) + (same ? 0 : 1)) {
        if (!same) substitutions += 1;
        i -= 1;
        j -= 1;
        continue;
      }
    }
    if (i > 0 && here === at(i - 1, j) + 1) {
      deletions += 1;
      i -= 1;
    } else {
      insertions += 1;
      j -= 1;
    }
  }
  const errors = substitutions + deletions + insertions;
  return { wer: errors / Math.max(1, reference.length), substitutions, deletions, insertions, referenceWords: reference.length };
}

const MAX_SPELLED = 999_999;
const ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
  "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/** 0 … 999,999 as words without "and" or hyphens ("one hundred twenty three"), as the normalizer splits them. */
export function spellNumber(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SPELLED) throw new RangeError(`cannot spell ${value}`);
  if (value < 20) return ONES[value] ?? "";
  if (value < 100) {
    const tens = TENS[Math.floor(value / 10)] ?? "";
    return value % 10 === 0 ? tens : `${tens} ${ONES[value % 10] ?? ""}`;
  }
  if (value < 1000) {
    const rest = value % 100;
    const hundreds = `${ONES[Math.floor(value / 100)] ?? ""} hundred`;
    return rest === 0 ? hundreds : `${hundreds} ${spellNumber(rest)}`;
  }
  const rest = value % 1000;
  const thousands = `${spellNumber(Math.floor(value / 1000))} thousand`;
  return rest === 0 ? thousands : `${thousands} ${spellNumber(rest)}`;
}
