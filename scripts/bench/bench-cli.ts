/** What every bench's entry does around its own work. */

/**
 * A bench's command line, read once: its options, or the exit code it ends with after printing `--help` (0) or a
 * usage error with the usage (2; 1 for anything else).
 */
export function parseBenchCli<T>(
  parse: (argv: string[], env: NodeJS.ProcessEnv) => T | "help",
  usage: string,
  usageError: abstract new (...args: never[]) => Error,
): { options: T } | { exitCode: number } {
  try {
    const parsed = parse(process.argv.slice(2), process.env);
    if (parsed !== "help") return { options: parsed };
    process.stdout.write(`${usage}\n`);
    return { exitCode: 0 };
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    // parseArgs refuses unknown flags with a TypeError: a usage error too.
    return { exitCode: error instanceof usageError || error instanceof TypeError ? 2 : 1 };
  }
}

/**
 * Runs a bench's `main` to its exit code. An interval holds the event loop open meanwhile: the engine's and the
 * pool's timers are unref'd (they must not hold a draining server open), so a quiet stretch could end the process.
 */
export function runBenchMain(name: string, main: () => Promise<number>): void {
  const keepAlive = setInterval(() => undefined, 60_000);
  main().then(
    (code) => {
      clearInterval(keepAlive);
      process.exitCode = code;
    },
    (error: unknown) => {
      clearInterval(keepAlive);
      process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
