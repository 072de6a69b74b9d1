import type { JoinTokens } from "../auth/join-tokens.js";
import type { EngineConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { SessionStore } from "../persistence/store.js";

/** What a room needs from the engine; handed to room classes by `bindRoom`, never through module state. */
export interface RoomDeps {
  store: SessionStore;
  tokens: JoinTokens;
  config: EngineConfig;
  logger: Logger;
}
