import type { Room } from "@colyseus/sdk";
import type { ServerMessages } from "../../src/protocol/server-messages.js";

/** What a student's client receives of its session, stamped with its own clock on arrival. */
export type StudentEvent =
  | { kind: "transcript"; atMs: number; participantId: string; text: string; final: boolean }
  | { kind: "reply"; atMs: number; turnId: number; final: boolean; sampleRate: number | null }
  | { kind: "audio"; atMs: number; bytes: number }
  | { kind: "interrupted"; atMs: number; turnId: number; playedMs: number; reason: string }
  | { kind: "error"; atMs: number; code: string; message: string }
  | { kind: "state"; atMs: number; tutorState: string };

type EventOf<K extends StudentEvent["kind"]> = Extract<StudentEvent, { kind: K }>;

interface Waiter {
  from: number;
  match: (event: StudentEvent) => boolean;
  resolve: (found: { event: StudentEvent; index: number }) => void;
}

export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
}

/** The events in arrival order, and waits on the next one that matches (no polling, no sleeps). */
export class StudentInbox {
  readonly events: StudentEvent[] = [];
  #waiters = new Set<Waiter>();

  get size(): number {
    return this.events.length;
  }

  push(event: StudentEvent): void {
    const index = this.events.push(event) - 1;
    for (const waiter of this.#waiters) {
      if (index >= waiter.from && waiter.match(event)) {
        this.#waiters.delete(waiter);
        waiter.resolve({ event, index });
      }
    }
  }

  /** The first `kind` event at or after index `from` that `match` accepts, or a WaitTimeoutError naming `what`. */
  waitFor<K extends StudentEvent["kind"]>(
    kind: K,
    from: number,
    match: (event: EventOf<K>) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<{ event: EventOf<K>; index: number }> {
    const accepts = (event: StudentEvent): event is EventOf<K> => event.kind === kind && match(event as EventOf<K>);
    return this.waitForAny(from, accepts, timeoutMs, what) as Promise<{ event: EventOf<K>; index: number }>;
  }

  /** The first event of any kind at or after index `from` that `match` accepts. */
  waitForAny(from: number, match: (event: StudentEvent) => boolean, timeoutMs: number, what: string): Promise<{ event: StudentEvent; index: number }> {
    for (let index = from; index < this.events.length; index++) {
      const event = this.events[index];
      if (event !== undefined && match(event)) return Promise.resolve({ event, index });
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        from,
        match,
        resolve: (found) => {
          clearTimeout(timer);
          resolve(found);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new WaitTimeoutError(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }
}

/** Feeds a room's tutor messages, transcripts, errors and `tutorState` changes into an inbox. */
export function listenToRoom(room: Room, inbox: StudentInbox, now: () => number): void {
  room.onMessage("transcript", (m: ServerMessages["transcript"]) =>
    inbox.push({ kind: "transcript", atMs: now(), participantId: m.participant_id, text: m.text, final: m.final }),
  );
  room.onMessage("tutor.reply", (m: ServerMessages["tutor.reply"]) =>
    inbox.push({ kind: "reply", atMs: now(), turnId: m.turn_id, final: m.final, sampleRate: m.sample_rate ?? null }),
  );
  room.onMessage("tutor.audio", (bytes: Uint8Array) => inbox.push({ kind: "audio", atMs: now(), bytes: bytes.byteLength }));
  room.onMessage("tutor.interrupted", (m: ServerMessages["tutor.interrupted"]) =>
    inbox.push({ kind: "interrupted", atMs: now(), turnId: m.turn_id, playedMs: m.played_ms, reason: m.reason }),
  );
  room.onMessage("error", (m: ServerMessages["error"]) => inbox.push({ kind: "error", atMs: now(), code: m.code, message: m.message }));
  let last = "";
  room.onStateChange((state: unknown) => {
    const tutorState = typeof state === "object" && state !== null && "tutorState" in state && typeof state.tutorState === "string" ? state.tutorState : "";
    if (tutorState === last) return;
    last = tutorState;
    inbox.push({ kind: "state", atMs: now(), tutorState });
  });
}
