import { z } from "zod";
import { EXPRESSIONS, POOL_ERROR_CODES, type Expression, type FrameFace, type VideoOutput } from "../pool-types.js";
import type { Face, Face__Output } from "./generated/engine/inference/v1/Face.js";
import type { VideoOut, VideoOut__Output } from "./generated/engine/inference/v1/VideoOut.js";

/** The in-process video vocabulary (pool-types.ts) and its wire form (StreamVideo in proto/inference.proto). */

const poolErrorCode = z.enum(POOL_ERROR_CODES);
const expression = z.enum(EXPRESSIONS);

export function videoOutputToWire(output: VideoOutput): VideoOut {
  switch (output.kind) {
    case "faces":
      return {
        faces: {
          stream_id: output.streamId,
          seq: output.seq,
          at_ms: output.atMs,
          faces: output.faces.map(faceToWire),
          timings: {
            queue_ms: output.timings.queueMs,
            decode_ms: output.timings.decodeMs,
            detect_ms: output.timings.detectMs,
            expression_ms: output.timings.expressionMs,
            total_ms: output.timings.totalMs,
          },
        },
      };
    case "dropped":
      return { dropped: { stream_id: output.streamId, seq: output.seq } };
    case "error":
      return { error: { stream_id: output.streamId, code: output.code, message: output.message } };
    case "closed":
      return { closed: { stream_id: output.streamId } };
  }
}

/** One face of a frame or a still image (StreamVideo, DetectFaces). */
export function faceToWire(face: FrameFace): Face {
  return { ...face.box, score: face.score, expression: face.expression, scores: face.scores };
}

/** A pool's face, or null when it names an expression this engine does not know (a newer pool's model). */
export function faceFromWire(face: Face__Output): FrameFace | null {
  const dominant = expression.safeParse(face.expression);
  if (!dominant.success) return null;
  const scores = Object.fromEntries(EXPRESSIONS.map((name) => [name, face.scores[name] ?? 0])) as Record<Expression, number>;
  return { box: { x: face.x, y: face.y, width: face.width, height: face.height }, score: face.score, expression: dominant.data, scores };
}

export function videoOutputFromWire(message: VideoOut__Output): VideoOutput | null {
  if (message.faces) {
    const f = message.faces;
    const t = f.timings;
    return {
      kind: "faces",
      streamId: f.stream_id,
      seq: f.seq,
      atMs: f.at_ms,
      faces: f.faces.flatMap((face) => faceFromWire(face) ?? []),
      timings: {
        queueMs: t?.queue_ms ?? 0,
        decodeMs: t?.decode_ms ?? 0,
        detectMs: t?.detect_ms ?? 0,
        expressionMs: t?.expression_ms ?? 0,
        totalMs: t?.total_ms ?? 0,
      },
    };
  }
  if (message.dropped) return { kind: "dropped", streamId: message.dropped.stream_id, seq: message.dropped.seq };
  if (message.error) {
    const code = poolErrorCode.safeParse(message.error.code);
    return { kind: "error", streamId: message.error.stream_id, code: code.success ? code.data : "internal", message: message.error.message };
  }
  if (message.closed) return { kind: "closed", streamId: message.closed.stream_id };
  return null;
}
