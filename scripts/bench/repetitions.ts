/** A figure measured several times: the repetition with the median value stands for all, the spread is kept. */
export type WithRepetitions<T> = T & {
  /** The measured figure of every repetition, in run order (the reported one is their median). */
  repetitions: number[];
};

/** The repetition whose `figure` is the median (the lower one of the middle two for an even count). */
export function medianRepetition<T>(results: readonly T[], figure: (result: T) => number): WithRepetitions<T> | null {
  if (results.length === 0) return null;
  const sorted = [...results].sort((a, b) => figure(a) - figure(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) return null;
  return { ...median, repetitions: results.map(figure) };
}
