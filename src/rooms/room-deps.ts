import type { JoinTokens } from "../auth/join-tokens.js";
import type { EngineConfig } from "../config.js";
import type { EventPublisher } from "../events/event-publisher.js";
import type { Logger } from "../logger.js";
import type { InferenceGateway } from "../inference/inference-gateway.js";
import type { EngineMetrics } from "../metrics/engine-metrics.js";
import type { SessionStore } from "../persistence/store.js";
import type { TranscriptStore } from "../persistence/transcript-store.js";
import type { AnalysisStore } from "../persistence/analysis-store.js";
import type { TurnStore } from "../persistence/turn-store.js";
import type { RetrievedPassage } from "../tutor/reply-runner.js";
import type { TutorInstances, TutorSpeech } from "../tutor/tutor-instances.js";

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
  /** Per-tutor instances, shared by the tutoring rooms of one tutor. */
  tutors: TutorInstances;
  /** The tutor's speech (the pool's `tts` model). */
  speech: TutorSpeech;
  /** Knowledge-base retrieval for tutor turns. */
  searchKnowledge(kbId: string, query: string, limit: number): Promise<RetrievedPassage[]>;
  turns: TurnStore;
  /** What the room tells other services (`meeting_events`, `ai_events`, `signaling_events`): never waits, never throws. */
  events: EventPublisher;
  /**
   * The room's last act, once its writes are flushed: the session's data is complete (the meeting analysis starts).
   * Returns at once; whatever it starts is the engine's to finish, log and count.
   */
  sessionEnded(sessionId: string): void;
}
