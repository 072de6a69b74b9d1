import { z } from "zod";
import type { AnalysisStore } from "../persistence/analysis-store.js";
import type { SessionRecord, SessionStore } from "../persistence/store.js";
import type { TranscriptStore } from "../persistence/transcript-store.js";
import { EXPRESSION_NAMES } from "../protocol/server-messages.js";
import type { CameraObservation } from "./expression-timeline.js";
import type { MeetingAnalysisInput } from "./meeting-analysis.js";

/** Where a meeting's analysis reads from. */
export interface MeetingSources {
  store: SessionStore;
  transcripts: TranscriptStore;
  analyses: AnalysisStore;
}

export interface MeetingInputBounds {
  /** Segments analysed at most (the earliest); the result says when there were more. */
  maxSegments: number;
  /** Camera rows read at most (the earliest). */
  maxObservations: number;
  /** Camera rows per query. */
  pageSize: number;
}

export const DEFAULT_MEETING_INPUT_BOUNDS: MeetingInputBounds = { maxSegments: 10_000, maxObservations: 50_000, pageSize: 5_000 };

const CAMERA_KINDS = ["expression", "no_face"] as const;

/** The fields of an `expression` row the timeline reads (src/rooms/result-delivery.ts writes them). */
const expressionPayload = z.object({ faces: z.number().int().min(0), expression: z.enum(EXPRESSION_NAMES).nullable() });

/** A stored camera row as an observation; a row that does not read as one is skipped (null). */
function observationOf(row: { participantId: string | null; kind: string; atMs: number; payload: unknown }): CameraObservation | null {
  if (row.participantId === null) return null;
  if (row.kind === "no_face") return { participantId: row.participantId, atMs: row.atMs, kind: "no_face", expression: null, faces: 0 };
  const parsed = expressionPayload.safeParse(row.payload);
  if (!parsed.success) return null;
  return { participantId: row.participantId, atMs: row.atMs, kind: "expression", expression: parsed.data.expression, faces: parsed.data.faces };
}

async function readObservations(
  analyses: AnalysisStore,
  sessionId: string,
  bounds: MeetingInputBounds,
): Promise<{ observations: CameraObservation[]; truncated: boolean }> {
  const observations: CameraObservation[] = [];
  let offset = 0;
  for (;;) {
    const limit = Math.min(bounds.pageSize, bounds.maxObservations - offset);
    if (limit <= 0) break;
    const page = await analyses.listAnalyses(sessionId, { kinds: CAMERA_KINDS, limit, offset });
    for (const row of page.items) {
      const observation = observationOf(row);
      if (observation !== null) observations.push(observation);
    }
    offset += page.items.length;
    if (page.items.length < limit || offset >= page.total) return { observations, truncated: false };
  }
  return { observations, truncated: true };
}

/**
 * A session's stored data as the analysis's input, up to `untilMs` (ms from its creation). Transcript segments are
 * read whole (the transcript store has no pages) and then cut to `maxSegments`.
 */
export async function loadMeetingInput(
  sources: MeetingSources,
  session: SessionRecord,
  untilMs: number,
  bounds: MeetingInputBounds = DEFAULT_MEETING_INPUT_BOUNDS,
): Promise<MeetingAnalysisInput> {
  const [participants, segments, camera] = await Promise.all([
    sources.store.listParticipants(session.id),
    sources.transcripts.listSegments(session.id),
    readObservations(sources.analyses, session.id, bounds),
  ]);
  const createdMs = session.createdAt.getTime();
  return {
    session: { id: session.id, kind: session.kind, status: session.status, createdAt: session.createdAt, endedAt: session.endedAt },
    untilMs,
    participants: [...participants]
      .sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime())
      .map((p) => ({ participantId: p.participantId, name: p.name, role: p.role, leftAtMs: p.leftAt === null ? null : p.leftAt.getTime() - createdMs })),
    segments: segments.slice(0, bounds.maxSegments).map(({ segmentId, participantId, text, startMs, endMs }) => ({ segmentId, participantId, text, startMs, endMs })),
    observations: camera.observations,
    truncated: { segments: segments.length > bounds.maxSegments, observations: camera.truncated },
  };
}
