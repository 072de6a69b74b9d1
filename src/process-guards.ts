import type { Logger } from "./logger.js";

export interface ProcessGuardOptions {
  /** Drains the process: every session told and its writes flushed, then transports and databases closed. */
  stop: () => Promise<void>;
  logger: Logger;
  /** Told of every fault (metrics count them). */
  onFault?: (kind: "uncaught_exception" | "unhandled_rejection") => void;
  /** A drain after an uncaught exception that takes longer than this exits anyway. */
  faultDrainTimeoutMs: number;
  /**
   * A drain on SIGTERM/SIGINT that takes longer than this exits 1 anyway: an orchestrator's grace period (Kubernetes'
   * default is 30 s) must not end in SIGKILL mid-write. Each step of `stop` is bounded well under it.
   */
  signalDrainTimeoutMs: number;
}

export const DEFAULT_FAULT_DRAIN_TIMEOUT_MS = 15_000;
export const DEFAULT_SIGNAL_DRAIN_TIMEOUT_MS = 28_000;

/**
 * The entry points' last line of defence (library code never exits the process):
 * - SIGTERM/SIGINT run `stop` once and exit 0 (1 if it fails or outlasts `signalDrainTimeoutMs`); a second signal
 *   exits 1 at once.
 * - An unhandled rejection is logged with its stack and counted, and the process keeps serving: a promise that failed
 *   with nobody listening has left no half-done synchronous work behind.
 * - An uncaught exception may have left any state half-updated, so the process does not go on serving: it drains as
 *   on SIGTERM (clients told, writes flushed) and exits 1, rather than dying mid-write.
 */
export function guardProcess(options: Partial<ProcessGuardOptions> & Pick<ProcessGuardOptions, "stop" | "logger">): void {
  const { stop, logger, onFault = () => {}, faultDrainTimeoutMs = DEFAULT_FAULT_DRAIN_TIMEOUT_MS, signalDrainTimeoutMs = DEFAULT_SIGNAL_DRAIN_TIMEOUT_MS } = options;
  let stopping = false;
  const drainAndExit = (exitCode: number, reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, "shutting down");
    stop().then(
      () => process.exit(exitCode),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    setTimeout(() => {
      logger.error({ signal, timeout_ms: signalDrainTimeoutMs }, "drain took too long: exiting");
      process.exit(1);
    }, signalDrainTimeoutMs).unref();
    drainAndExit(0, signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("unhandledRejection", (reason: unknown) => {
    onFault("unhandled_rejection");
    logger.error({ err: reason }, "unhandled promise rejection; still serving");
  });
  process.on("uncaughtException", (error: Error) => {
    onFault("uncaught_exception");
    logger.fatal({ err: error }, "uncaught exception; draining the process");
    if (stopping) return;
    setTimeout(() => process.exit(1), faultDrainTimeoutMs).unref();
    drainAndExit(1, "uncaught_exception");
  });
}
