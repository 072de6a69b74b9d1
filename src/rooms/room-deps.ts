import type { JoinTokens } from "../auth/join-tokens.js";
import type { EngineConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { InferenceGateway } from "../inference/inference-gateway.js";
import type { EngineMetrics } from "../metrics/engine-metrics.js";
import type { SessionStore } from "../persistence/store.js";
import type { TranscriptStore } from "../persistence/transcript-store.js";
import type { AnalysisStore } from "../persistence/analysis-store.js";

/** What a room needs from the engine; handed to room classes by `bindRoom`, never through module state. */
export interface RoomDeps {
  store: SessionStore;
  transcripts: TranscriptStore;
  analyses: AnalysisStore;
  inference: InferenceGateway;
  tokens: JoinTokens;
  config: EngineConfig;
  logger: Logger;
  metrics: EngineMetrics;
}
