import { z } from "zod";
import { END_REASONS, ROLES_BY_KIND, SESSION_KINDS } from "../domain.js";
import { MAX_PARTICIPANT_ID_CHARS, SIGNAL_TYPES } from "../protocol/client-messages.js";
import { expressionMessage } from "../protocol/server-messages.js";

/**
 * The events the engine tells other services of: one truth for the topics (Redis channels), every event type on each
 * and its `data`. The bus validates against it on both sides, the tests and the README are written from it.
 * `data` objects are strict: a field not listed here (an SDP, a display name) is refused, never carried.
 */

export const EVENT_TOPICS = ["meeting_events", "ai_events", "signaling_events"] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

const id = z.string().min(1).max(MAX_PARTICIPANT_ID_CHARS);
// Offsets in ms since the session's start (not necessarily whole).
const ms = z.number().min(0);
const role = z.enum([...new Set(Object.values(ROLES_BY_KIND).flat())]);

/** Every event type: its topic and the schema of its `data`. */
export const EVENT_TYPES = {
  "meeting.created": {
    topic: "meeting_events",
    data: z.strictObject({ kind: z.enum(SESSION_KINDS), max_participants: z.number().int().positive() }),
  },
  "meeting.started": { topic: "meeting_events", data: z.strictObject({}) },
  "meeting.ended": { topic: "meeting_events", data: z.strictObject({ reason: z.enum(END_REASONS).nullable() }) },
  "participant.joined": { topic: "meeting_events", data: z.strictObject({ participant_id: id, role }) },
  "participant.left": { topic: "meeting_events", data: z.strictObject({ participant_id: id, role }) },
  "speech_recognition.completed": {
    topic: "ai_events",
    data: z.strictObject({ segment_id: id, participant_id: id, start_ms: ms, end_ms: ms, text: z.string().min(1) }),
  },
  "emotion_detection.completed": {
    topic: "ai_events",
    data: z.strictObject({
      /** `room`: a camera in a live session; `api`: `POST /api/v1/ai/emotion-detection` with a `meeting_id`. */
      source: z.enum(["room", "api"]),
      participant_id: id.nullable(),
      at_ms: ms,
      faces: expressionMessage.shape.faces,
      expression: expressionMessage.shape.expression,
      scores: expressionMessage.shape.scores,
    }),
  },
  "tutor.turn.completed": {
    topic: "ai_events",
    data: z.strictObject({
      turn_id: z.number().int().min(0),
      kind: z.enum(["greeting", "answer"]),
      outcome: z.enum(["completed", "interrupted", "failed"]),
    }),
  },
  "meeting_analysis.completed": {
    topic: "ai_events",
    data: z.strictObject({ status: z.enum(["final", "live"]), version: z.number().int().positive(), summary_available: z.boolean() }),
  },
  "signal.relayed": {
    topic: "signaling_events",
    data: z.strictObject({ from: id, to: id, kind: z.enum(SIGNAL_TYPES) }),
  },
} as const satisfies Record<string, { topic: EventTopic; data: z.ZodType }>;

type Catalog = typeof EVENT_TYPES;
export type EventType = keyof Catalog;
export type EventData<E extends EventType> = z.infer<Catalog[E]["data"]>;
/** The event types published on topic `T`. */
export type EventTypeOf<T extends EventTopic> = { [E in EventType]: Catalog[E]["topic"] extends T ? E : never }[EventType];

/** One event as it travels: `id` a UUID, `at` an ISO 8601 time, `data` as its type says. */
export interface Envelope<E extends EventType> {
  id: string;
  type: E;
  session_id: string;
  at: string;
  data: EventData<E>;
}
type AnyEnvelopeOf<E extends EventType> = E extends EventType ? Envelope<E> : never;
/** Every topic's envelopes: a union over its types, discriminated by `type`. */
type EnvelopesByTopic = { [T in EventTopic]: AnyEnvelopeOf<EventTypeOf<T>> };
export type TopicEnvelope<T extends EventTopic> = EnvelopesByTopic[T];
export type AnyEnvelope = EnvelopesByTopic[EventTopic];

export function topicOf(type: EventType): EventTopic {
  return EVENT_TYPES[type].topic;
}

/** Every type per topic, in catalog order (for subscribers, tests and docs). */
export const EVENT_TYPES_BY_TOPIC: Readonly<Record<EventTopic, readonly EventType[]>> = Object.fromEntries(
  EVENT_TOPICS.map((topic) => [topic, (Object.keys(EVENT_TYPES) as EventType[]).filter((type) => topicOf(type) === topic)]),
) as Record<EventTopic, EventType[]>;

const envelopeBase = z.strictObject({
  id: z.uuid(),
  type: z.string(),
  session_id: z.string().min(1).max(MAX_PARTICIPANT_ID_CHARS),
  at: z.iso.datetime({ offset: true }),
  data: z.unknown(),
});

/** The envelope when it is a valid event of `topic`, else null (a type of another topic is not valid here). */
export function parseEnvelope<T extends EventTopic>(topic: T, value: unknown): TopicEnvelope<T> | null {
  const base = envelopeBase.safeParse(value);
  if (!base.success || !Object.hasOwn(EVENT_TYPES, base.data.type)) return null;
  const type = base.data.type as EventType;
  if (topicOf(type) !== topic) return null;
  const data = EVENT_TYPES[type].data.safeParse(base.data.data);
  if (!data.success) return null;
  // Checked just above: the type belongs to T and the data is that type's.
  return { ...base.data, type, data: data.data } as TopicEnvelope<T>;
}
