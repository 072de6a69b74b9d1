import type { ParticipantRecord, SessionRecord } from "../persistence/store.js";

/** Wire shapes (snake_case, ISO times) of stored records. */

export function sessionSummaryView(session: SessionRecord) {
  return {
    session_id: session.id,
    kind: session.kind,
    title: session.title,
    status: session.status,
    end_reason: session.endReason,
    tutor_id: session.tutorId,
    student_id: session.studentId,
    kb_id: session.kbId,
    max_participants: session.maxParticipants,
    idle_timeout_ms: session.idleTimeoutMs,
    max_duration_ms: session.maxDurationMs,
    created_at: session.createdAt.toISOString(),
    last_activity: session.lastActivityAt.toISOString(),
    ended_at: session.endedAt?.toISOString() ?? null,
  };
}

export function participantView(participant: ParticipantRecord) {
  return {
    participant_id: participant.participantId,
    name: participant.name,
    role: participant.role,
    connected: participant.connected,
    joined_at: participant.joinedAt.toISOString(),
    left_at: participant.leftAt?.toISOString() ?? null,
  };
}

export function sessionDetailView(session: SessionRecord, participants: ParticipantRecord[]) {
  return { ...sessionSummaryView(session), participants: participants.map(participantView) };
}
