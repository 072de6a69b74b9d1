import { restoreSessionActor, RESTORABLE_STATUSES } from "../actors/session-restore.js";
import type { SessionKind } from "../domain.js";
import type { EventPublisher } from "../events/event-publisher.js";
import type { Logger } from "../logger.js";
import type { ParticipantRecord, SessionRecord, SessionStore } from "../persistence/store.js";
import { roomCreateOptionsSchema, type RoomCreateOptions, type RoomOptions, type RoomRestore } from "./room-options.js";

/**
 * What resuming needs of the matchmaker: which engine processes are alive, which rooms are listed and by whom, and a
 * room made in this process (`ColyseusRoomHost`).
 */
export interface RoomHost {
  /** This process's id, as sessions record it (`SessionRecord.processId`). */
  readonly processId: string;
  /** Processes alive now, this one included. */
  aliveProcesses(): Promise<ReadonlySet<string>>;
  /** Listed rooms: session id → the process that lists it (a dead process's listings stay until swept). */
  listedRooms(): Promise<ReadonlyMap<string, string>>;
  /** Asks a process to answer; one that does not is taken off the listing with its rooms. True when it answered. */
  answers(processId: string): Promise<boolean>;
  /** Creates a session room in this process. */
  createHere(kind: SessionKind, options: RoomCreateOptions): Promise<void>;
}

export interface SessionResumeDeps {
  store: SessionStore;
  host: RoomHost;
  events: EventPublisher;
  logger: Logger;
  /** Epoch ms now; tests move it. */
  now?: () => number;
}

export interface SessionResumeOptions {
  /** Between sweeps for sessions of processes that died while this one runs (`startSweeps`). */
  sweepIntervalMs: number;
  /**
   * A session still `created` and held by no process may be in another live process's hands, its room being made:
   * while other processes are alive, only past this age is it an orphan (its creator died mid-creation).
   */
  createGraceMs: number;
}

export const SESSION_RESUME_DEFAULTS: SessionResumeOptions = { sweepIntervalMs: 15_000, createGraceMs: 60_000 };

/** Why an orphan is ended rather than restored. */
export type UnrestorableReason = "not_open" | "no_room_options" | "snapshot" | "past_max_duration" | "past_idle";

export type ResumeDecision = { restore: RoomRestore; options: RoomOptions } | { end: UnrestorableReason };

/** One pass: the sessions restored here and those ended (`process_restart`), and how long the pass took. */
export interface ResumeReport {
  restored: string[];
  ended: string[];
  durationMs: number;
}

/**
 * Whether an orphan (its process dead) can be restored, and with what is left of its deadlines. Restorable: status
 * `waiting` or `live`, its room options and machine snapshot stored by this engine version, within its maximum
 * duration (from `createdAt`) and its idle timeout. The idle time is counted from `lastActivityAt` when nobody was
 * connected at the crash (the timer was running); with someone connected it starts now, as their connections ended
 * with the process (when exactly is not recorded).
 */
export function decideResume(session: SessionRecord, seats: readonly ParticipantRecord[], nowMs: number): ResumeDecision {
  if (!(RESTORABLE_STATUSES as readonly string[]).includes(session.status) || session.processId === null) return { end: "not_open" };
  const stored = roomCreateOptionsSchema.safeParse(session.roomOptions);
  if (!stored.success || stored.data.sessionId !== session.id) return { end: "no_room_options" };
  const options = stored.data;
  const input = { sessionId: session.id, kind: options.kind, idleTimeoutMs: options.idleTimeoutMs, maxDurationMs: options.maxDurationMs };
  if (restoreSessionActor(input, session.snapshot) === null) return { end: "snapshot" };
  const maxDurationLeftMs = session.createdAt.getTime() + session.maxDurationMs - nowMs;
  if (maxDurationLeftMs <= 0) return { end: "past_max_duration" };
  const connectedAtCrash = seats.some((seat) => seat.connected && seat.leftAt === null);
  const idleLeftMs = connectedAtCrash ? session.idleTimeoutMs : session.idleTimeoutMs - (nowMs - session.lastActivityAt.getTime());
  if (idleLeftMs <= 0) return { end: "past_idle" };
  const restore = {
    fromProcessId: session.processId,
    snapshot: session.snapshot,
    maxDurationLeftMs: Math.ceil(maxDurationLeftMs),
    idleLeftMs: Math.ceil(idleLeftMs),
  };
  return { restore, options };
}

/**
 * Crash resume: sessions whose engine process died are restored in this one (room re-created from the stored room
 * options, machine from its persisted snapshot, seats from the participants) or, when they cannot be, ended with
 * `process_restart`. Run once at start (after the matchmaker accepts, which sweeps the listings of dead processes) and,
 * with several processes, every `sweepIntervalMs` so a live process takes over a dead one's sessions.
 *
 * Never a live process's session: one held (or listed) by a process that is alive is left alone. Of several
 * processes taking over one session exactly one wins: restoring and ending both start with the store's
 * compare-and-set claim (`SessionStore.claimSession`), a restored room's in its `onCreate`.
 */
export class SessionResume {
  readonly #deps: SessionResumeDeps;
  readonly #options: SessionResumeOptions;
  readonly #now: () => number;
  #running: Promise<ResumeReport> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(deps: SessionResumeDeps, options: Partial<SessionResumeOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...SESSION_RESUME_DEFAULTS, ...options };
    this.#now = deps.now ?? Date.now;
  }

  /** One pass over the open sessions; a call while one runs gets that one. */
  run(): Promise<ResumeReport> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Sweeps every `sweepIntervalMs` until `stop`; a failed sweep is logged and the next one runs. */
  startSweeps(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      this.run().catch((error: unknown) => this.#deps.logger.error({ err: error }, "session resume sweep failed"));
    }, this.#options.sweepIntervalMs);
    this.#timer.unref();
  }

  /** No more sweeps; resolves once a pass in progress is done. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  async #pass(): Promise<ResumeReport> {
    const startedAtMs = performance.now();
    const report: ResumeReport = { restored: [], ended: [], durationMs: 0 };
    for (const session of await this.#orphans()) {
      const seats = await this.#deps.store.listParticipants(session.id);
      const decision = decideResume(session, seats, this.#now());
      if ("end" in decision) {
        this.#deps.logger.info({ session_id: session.id, reason: decision.end }, "orphaned session cannot be restored");
        if (await this.#end(session.id, session.processId, session.snapshot)) report.ended.push(session.id);
      } else if (await this.#restore(session, decision)) {
        report.restored.push(session.id);
      } else if (await this.#endUnrestored(session.id, decision.restore.fromProcessId)) {
        report.ended.push(session.id);
      }
    }
    report.durationMs = Math.round(performance.now() - startedAtMs);
    if (report.restored.length + report.ended.length > 0) {
      this.#deps.logger.warn(
        { restored: report.restored.length, ended: report.ended.length, duration_ms: report.durationMs },
        "sessions left by a dead process resumed",
      );
    }
    return report;
  }

  /** Open sessions no live process holds or lists. */
  async #orphans(): Promise<SessionRecord[]> {
    const { store, host } = this.#deps;
    const [open, alive, listed] = await Promise.all([store.listOpenSessions(), host.aliveProcesses(), host.listedRooms()]);
    const nowMs = this.#now();
    // Alone, this process is the only one that could be making a room (and is not, while it resumes).
    const othersAlive = [...alive].some((processId) => processId !== host.processId);
    const orphans = open.filter((session) => {
      const listedBy = listed.get(session.id);
      if (session.processId !== null && alive.has(session.processId)) return false;
      if (listedBy !== undefined && alive.has(listedBy)) return false;
      // Held by no process yet: its room may be being made by another process.
      const young = nowMs - session.createdAt.getTime() < this.#options.createGraceMs;
      return !(othersAlive && session.processId === null && session.status === "created" && young);
    });
    // A dead process's listings would make a restored room a duplicate: confirmed gone, they are swept with it.
    const listers = new Set(orphans.flatMap((session) => listed.get(session.id) ?? []));
    const answered = new Set<string>();
    for (const processId of listers) if (await host.answers(processId)) answered.add(processId);
    return orphans.filter((session) => !answered.has(listed.get(session.id) ?? ""));
  }

  /** True when the room was restored here; false when it failed (logged) or another process took the session first. */
  async #restore(session: SessionRecord, decision: { restore: RoomRestore; options: RoomOptions }): Promise<boolean> {
    const { host, logger } = this.#deps;
    try {
      await host.createHere(session.kind, { ...decision.options, restore: decision.restore });
      const { fromProcessId, maxDurationLeftMs, idleLeftMs } = decision.restore;
      logger.info(
        { session_id: session.id, from_process: fromProcessId, max_duration_left_ms: maxDurationLeftMs, idle_left_ms: idleLeftMs },
        "session restored",
      );
      return true;
    } catch (error) {
      logger.warn({ err: error, session_id: session.id }, "session room could not be restored");
      return false;
    }
  }

  /**
   * After a failed restore, ended here if the room never claimed it. A room that failed after its claim has ended
   * the session itself (`endUnrestored`); one whose claim was lost left it to the process that won.
   */
  async #endUnrestored(sessionId: string, fromProcessId: string): Promise<boolean> {
    const current = await this.#deps.store.getSession(sessionId);
    if (current === null || current.status === "ended" || current.processId !== fromProcessId) return false;
    return this.#end(sessionId, fromProcessId, current.snapshot);
  }

  /** Claims the session from the process holding it, then ends it with `process_restart`; false when the claim is lost. */
  async #end(sessionId: string, heldBy: string | null, snapshot: unknown): Promise<boolean> {
    const { store, host, events } = this.#deps;
    const at = new Date(this.#now());
    if (!(await store.claimSession({ sessionId, processId: host.processId, previousProcessId: heldBy, at }))) return false;
    await store.recordTransition({ sessionId, status: "ended", snapshot, reason: "process_restart", at });
    events.publish("meeting.ended", sessionId, { reason: "process_restart" });
    return true;
  }
}
