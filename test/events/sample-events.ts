import { randomUUID } from "node:crypto";
import type { Registry } from "prom-client";
import type { EventBus } from "../../src/events/event-bus.js";
import { EVENT_TYPES, topicOf, type AnyEnvelope, type EventData, type EventTopic, type EventType, type TopicEnvelope } from "../../src/events/event-types.js";

/** One valid `data` per event type: a type added to the catalog without one here fails to compile. */
export const SAMPLE_DATA: { [E in EventType]: EventData<E> } = {
  "meeting.created": { kind: "meeting", max_participants: 16 },
  "meeting.started": {},
  "meeting.ended": { reason: "requested" },
  "participant.joined": { participant_id: "alice", role: "host" },
  "participant.left": { participant_id: "alice", role: "host" },
  "speech_recognition.completed": { segment_id: "s-1", participant_id: "alice", start_ms: 800, end_ms: 2_400, text: "hello world" },
  "emotion_detection.completed": { source: "room", participant_id: "alice", at_ms: 1_200, faces: 1, expression: null, scores: null },
  "tutor.turn.completed": { turn_id: 1, kind: "answer", outcome: "completed" },
  "meeting_analysis.completed": { status: "final", version: 1, summary_available: false },
  "signal.relayed": { from: "alice", to: "bob", kind: "offer" },
};

export const ALL_EVENT_TYPES = Object.keys(EVENT_TYPES) as EventType[];

export function envelopeOf<E extends EventType>(type: E, sessionId: string, data: EventData<E>): AnyEnvelope {
  return { id: randomUUID(), type, session_id: sessionId, at: new Date().toISOString(), data } as AnyEnvelope;
}

/** Publishes on the envelope's own topic (the bus' typing asks for the topic and its envelope together). */
export function publishAny(bus: EventBus, envelope: AnyEnvelope): boolean {
  return bus.publish(topicOf(envelope.type) as EventTopic, envelope);
}

/**
 * Resolves with the first `count` envelopes of `sessionId` on `topic` (others — another test's, another file's on a
 * shared Redis — are ignored); rejects after `timeoutMs`. Subscribed when the promise of `ready` resolves.
 */
export async function collectEvents<T extends EventTopic>(
  bus: EventBus,
  topic: T,
  sessionId: string,
  count: number,
  timeoutMs = 5_000,
): Promise<{ done: Promise<TopicEnvelope<T>[]>; seen: TopicEnvelope<T>[] }> {
  const seen: TopicEnvelope<T>[] = [];
  let resolve: (value: TopicEnvelope<T>[]) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const done = new Promise<TopicEnvelope<T>[]>((res, rej) => ((resolve = res), (reject = rej)));
  const timer = setTimeout(() => reject(new Error(`saw ${seen.length} of ${count} ${topic} events in ${timeoutMs} ms`)), timeoutMs);
  const unsubscribe = await bus.subscribe(topic, (envelope) => {
    if (envelope.session_id !== sessionId) return;
    seen.push(envelope);
    if (seen.length === count) {
      clearTimeout(timer);
      resolve(seen);
    }
  });
  void done.then(unsubscribe, unsubscribe).catch(() => undefined);
  return { done, seen };
}

/** A counter's value for the given labels (0 when the series does not exist). */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const match = values.find((value) => Object.entries(labels).every(([key, label]) => value.labels[key] === label));
  return match?.value ?? 0;
}
