/** Runs the bench's phases: progress lines on stderr, and a failed phase recorded instead of ending the bench. */
export interface PhaseRunner {
  readonly errors: { phase: string; message: string }[];
  progress(message: string): void;
  /** Runs one phase; a failure is recorded (and `null` returned) and the bench goes on with the next. */
  run<T>(name: string, body: () => Promise<T>): Promise<T | null>;
}

export function createPhaseRunner(write: (line: string) => void): PhaseRunner {
  const errors: PhaseRunner["errors"] = [];
  const progress = (message: string) => write(`[bench] ${message}\n`);
  return {
    errors,
    progress,
    async run(name, body) {
      try {
        return await body();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        errors.push({ phase: name, message });
        progress(`${name} failed: ${message}`);
        return null;
      }
    },
  };
}
