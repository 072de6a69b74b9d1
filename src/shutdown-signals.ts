import type { Logger } from "./logger.js";

/**
 * SIGTERM/SIGINT run `stop` once and exit 0 (1 if it fails); a second signal exits 1 at once.
 * Entry points only: library code never exits the process.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, "shutting down");
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}
