import type { ParticipantResult } from "../actors/session-machine.js";
import type { InferenceGateway } from "../inference/inference-gateway.js";
import type { Logger } from "../logger.js";

/** What a room's media part (its audio, its cameras) is made from: the room is its listener. */
export interface RoomMediaInput<Listener, Options> {
  gateway: InferenceGateway;
  sessionId: string;
  /** Epoch ms of the session's start: pool times are turned into the session's timeline with it. */
  startedAtMs: number;
  logger: Logger;
  listener: Listener;
  options?: Partial<Options>;
}

/** Who hears a media part's results: the room, which hands them to its session machine (`inference.result`). */
export interface MediaResultListener {
  /** A result for a participant. Called on gRPC callbacks, outside any Colyseus hook: the listener guards its work. */
  mediaResult(result: ParticipantResult): void;
}
