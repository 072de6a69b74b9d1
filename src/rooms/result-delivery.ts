import type { EventPublisher } from "../events/event-publisher.js";
import type { EngineMetrics } from "../metrics/engine-metrics.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";
import type { ServerMessages } from "../protocol/server-messages.js";
import type { AnalysisWrites } from "./analysis-writes.js";
import type { OrderedWrites } from "./ordered-writes.js";
import type { ParticipantResult } from "../actors/session-machine.js";
import type { ExpressionTracker } from "./expression-tracker.js";
import type { InterimSegments } from "./interim-segments.js";
import type { RoomDeps } from "./room-deps.js";
import type { SessionState } from "./session-state.js";

type Broadcast = "transcript" | "expression" | "no_face";

/** What applying a pool result needs from its room. */
export interface ResultTarget {
  sessionId: string;
  state: SessionState;
  writes: OrderedWrites;
  transcripts: RoomDeps["transcripts"];
  analyses: AnalysisWrites;
  /** What each camera last showed (read only for video results: it is made with the room's first frame). */
  expressions(): ExpressionTracker;
  /** Segments with an interim on screen. */
  interims: InterimSegments;
  metrics: EngineMetrics;
  events: EventPublisher;
  sendToAll<T extends Broadcast>(type: T, message: ServerMessages[T]): void;
  /** Tells the participant's current connection (if any) that its audio or video failed. */
  rejectMedia(participantId: string, media: "audio" | "video", code: RoomErrorCode, message: string): void;
}

/** What a transcript needs of its room (result-delivery.unit.test.ts drives it with these alone). */
export interface TranscriptTarget {
  sessionId: string;
  writes: Pick<OrderedWrites, "enqueue">;
  transcripts: Pick<RoomDeps["transcripts"], "saveSegment">;
  interims: InterimSegments;
  metrics: Pick<EngineMetrics, "transcriptPersisted" | "transcriptDelivered">;
  events: Pick<EventPublisher, "publish">;
  sendToAll(type: "transcript", message: ServerMessages["transcript"]): void;
}

/**
 * Applies a pool result: `speaking` in the state, a transcript to everyone (and, when final, to the database, idempotent
 * on its segment id; an interim, `final: false`, is only broadcast: the final with its segment id replaces it), a camera's faces to the state (and, when they change or every 2 s, to everyone and the
 * analyses), an error to the sender. Empty transcripts (silence Whisper heard nothing in) are not sent, except an empty
 * final of a segment whose interim went out: it withdraws that line (and is not persisted). A failed final withdraws
 * its interim line the same way (its error went to the sender).
 */
export function deliverResult(target: ResultTarget, result: ParticipantResult): void {
  switch (result.kind) {
    case "speech": {
      const participant = target.state.participants.get(result.participantId);
      // Nobody away is shown speaking, whatever the pool says late.
      if (participant !== undefined) participant.speaking = result.speaking && participant.connected;
      return;
    }
    case "transcript":
      deliverTranscript(target, result);
      return;
    case "transcript_failed":
      withdrawInterim(target, result.segmentId);
      return;
    case "faces":
      deliverFaces(target, result);
      return;
    case "error":
      target.rejectMedia(result.participantId, result.media, result.code, result.message);
      return;
  }
}

/**
 * A transcript to everyone; a final also to the database and the event bus. An empty one is not sent, but for a final
 * whose interim went out: it withdraws that line.
 */
export function deliverTranscript(target: TranscriptTarget, result: Extract<ParticipantResult, { kind: "transcript" }>): void {
  const message = {
    segment_id: result.segmentId,
    participant_id: result.participantId,
    text: result.text,
    start_ms: result.startMs,
    end_ms: result.endMs,
    final: result.final,
  };
  if (!result.final) {
    if (result.text === "") return;
    target.interims.shown(message);
    target.sendToAll("transcript", message);
    return;
  }
  const interimShown = target.interims.settle(result.segmentId) !== undefined;
  if (result.text === "") {
    if (interimShown) target.sendToAll("transcript", message);
    return;
  }
  target.sendToAll("transcript", message);
  // The write is queued before anything else can fail: a broadcast transcript is never left unpersisted.
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
  target.events.publish("speech_recognition.completed", target.sessionId, { segment_id: result.segmentId, participant_id: result.participantId, start_ms: result.startMs, end_ms: result.endMs, text: result.text });
  // Finals only: an interim has no end of speech, and its latency is not the transcript's.
  target.metrics.transcriptDelivered(result.timings, performance.now() - result.receivedAtMs);
}

/**
 * The segment's final failed: if its interim is on screen, an empty final at the interim's times takes the grey line
 * down (as for an utterance Whisper heard nothing in); nothing is stored. No interim out: nothing to send.
 */
export function withdrawInterim(target: Pick<TranscriptTarget, "interims" | "sendToAll">, segmentId: string): void {
  const shown = target.interims.settle(segmentId);
  if (shown !== undefined) target.sendToAll("transcript", { ...shown, text: "", final: true });
}

function deliverFaces(target: ResultTarget, result: Extract<ParticipantResult, { kind: "faces" }>): void {
  const { participantId, atMs } = result;
  const participant = target.state.participants.get(participantId);
  // A participant who left has no tile to badge; their stream's late answer is dropped.
  if (participant === undefined) return;
  const verdict = target.expressions().observe(participantId, atMs, result.faces);
  const main = verdict.main;
  participant.faces = verdict.faces;
  participant.expression = main?.expression ?? "";
  if (verdict.announce) {
    const message: ServerMessages["expression"] = {
      participant_id: participantId,
      at_ms: atMs,
      faces: verdict.faces,
      expression: main?.expression ?? null,
      scores: main?.scores ?? null,
    };
    target.sendToAll("expression", message);
    target.events.publish("emotion_detection.completed", target.sessionId, { source: "room", participant_id: participantId, at_ms: atMs, faces: message.faces, expression: message.expression, scores: message.scores });
    const { participant_id: _id, at_ms: _at, ...payload } = message;
    target.analyses.add({
      sessionId: target.sessionId,
      participantId,
      kind: "expression",
      atMs,
      payload: { ...payload, box: main?.box ?? null, score: main?.score ?? null },
      createdAt: new Date(),
    });
  }
  if (verdict.noFaceSinceMs !== null) {
    const message = { participant_id: participantId, at_ms: atMs, since_ms: verdict.noFaceSinceMs, absent_ms: atMs - verdict.noFaceSinceMs };
    target.sendToAll("no_face", message);
    target.analyses.add({
      sessionId: target.sessionId,
      participantId,
      kind: "no_face",
      atMs,
      payload: { since_ms: message.since_ms, absent_ms: message.absent_ms },
      createdAt: new Date(),
    });
  }
  target.metrics.frameDelivered(result.timings, result.ageMs + performance.now() - result.receivedAtMs);
}
