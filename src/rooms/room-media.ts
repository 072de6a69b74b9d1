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
