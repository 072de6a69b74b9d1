import type { Logger } from "../../logger.js";
import type { PoolStatusView } from "../pool-service.js";

/** What the pool's gRPC server counts since it started; GetStatus reports it, the engine's metrics render it. */
export class ServerCounters {
  #handlerFaults = 0;
  #unauthenticatedCalls = 0;
  #malformedMessages = 0;
  readonly #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  /**
   * An unexpected exception inside a handler: logged here, once, with its stack, and counted. Returns the message of
   * the `internal` answer its call or stream gets (nothing of the exception: that stays in the log).
   */
  fault(rpc: string, error: unknown): string {
    this.#handlerFaults += 1;
    this.#log.error({ err: error, rpc }, "pool handler failed");
    return "unexpected error in the pool";
  }

  unauthenticated(): void {
    this.#unauthenticatedCalls += 1;
  }

  malformed(): void {
    this.#malformedMessages += 1;
  }

  view(): PoolStatusView["server"] {
    return {
      handlerFaults: this.#handlerFaults,
      unauthenticatedCalls: this.#unauthenticatedCalls,
      malformedMessages: this.#malformedMessages,
    };
  }
}
