import type { EngineMetrics } from "../metrics/engine-metrics.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";
import type { ServerMessages } from "../protocol/server-messages.js";
import type { OrderedWrites } from "./ordered-writes.js";
import type { ParticipantResult } from "../actors/session-machine.js";
import type { RoomDeps } from "./room-deps.js";
import type { SessionState } from "./session-state.js";

/** What applying a pool result needs from its room. */
export interface ResultTarget {
  sessionId: string;
  state: SessionState;
  writes: OrderedWrites;
  transcripts: RoomDeps["transcripts"];
  metrics: EngineMetrics;
  sendToAll(type: "transcript", message: ServerMessages["transcript"]): void;
  /** Tells the participant's current connection (if any) that its audio failed. */
  rejectAudio(participantId: string, code: RoomErrorCode, message: string): void;
}

/**
 * Applies a pool result: `speaking` in the state, a transcript to everyone (and, when final, to the database, idempotent
 * on its segment id), an error to the speaker. Empty transcripts (silence Whisper heard nothing in) are not sent.
 */
export function deliverResult(target: ResultTarget, result: ParticipantResult): void {
  switch (result.kind) {
    case "speech": {
      const participant = target.state.participants.get(result.participantId);
      // Nobody away is shown speaking, whatever the pool says late.
      if (participant !== undefined) participant.speaking = result.speaking && participant.connected;
      return;
    }
    case "transcript": {
      if (result.text === "") return;
      target.sendToAll("transcript", {
        segment_id: result.segmentId,
        participant_id: result.participantId,
        text: result.text,
        start_ms: result.startMs,
        end_ms: result.endMs,
        final: result.final,
      });
      // The write is queued before anything else can fail: a broadcast transcript is never left unpersisted.
      if (result.final) {
        target.writes.enqueue("transcript.segment", async () => {
          await target.transcripts.saveSegment({
            sessionId: target.sessionId,
            segmentId: result.segmentId,
            participantId: result.participantId,
            text: result.text,
            startMs: result.startMs,
            endMs: result.endMs,
            createdAt: new Date(),
          });
          target.metrics.transcriptPersisted();
        });
      }
      target.metrics.transcriptDelivered(result.timings, performance.now() - result.receivedAtMs);
      return;
    }
    case "error":
      target.rejectAudio(result.participantId, result.code, result.message);
      return;
  }
}
