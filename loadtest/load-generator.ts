import { readFile } from "node:fs/promises";
import { ServerError, type Room } from "@colyseus/sdk";
import { errorMessage, transcriptMessage } from "../src/protocol/server-messages.js";
import { CameraStreams } from "./camera-stream.js";
import { LoadClient, type ServerMessageHandlers } from "./load-client.js";
import { FRAME_BYTES, FRAME_MS, type SpeechScript } from "./speech-script.js";
import { SpeakerLedger } from "./utterance-ledger.js";
import type { WorkerAssignment, WorkerProgress, WorkerReport } from "./worker-protocol.js";

/** At most this many joins in flight per generator process: a burst of handshakes is not what is measured. */
const JOIN_CONCURRENCY = 8;
/** Frames one speaker may send in one tick to catch up (the room allows 1.5× real time). */
const MAX_CATCH_UP_FRAMES = 3;
const TICK_MS = 10;
/** Silence streamed after the last utterance so the engine's VAD sees it end (its hangover is 400 ms, and the model's probability takes a few chunks to fall). */
const TAIL_SILENCE_MS = 1_200;
/** Hard stop after `stopAtMs` even mid-utterance (the engine cuts utterances at 30 s). */
const MAX_OVERRUN_MS = 35_000;
/** Counters sent to the run this often: well under its 1 s line, so a line is at most this stale. */
const PROGRESS_EVERY_MS = 250;
/** After the cameras stop: time for the last frames' results to come back. */
const VIDEO_SETTLE_MS = 2_000;

/** The room state's `participants` (a MapSchema: map-like, not a Map) → whether `id` is speaking. */
function isSpeaking(state: unknown, id: string): boolean {
  if (typeof state !== "object" || state === null || !("participants" in state)) return false;
  const participants: unknown = state.participants;
  if (typeof participants !== "object" || participants === null || !("get" in participants)) return false;
  const get: unknown = participants.get;
  if (typeof get !== "function") return false;
  const participant: unknown = get.call(participants, id);
  return typeof participant === "object" && participant !== null && "speaking" in participant && participant.speaking === true;
}

interface Member {
  participantId: string;
  /** Position in the session's ticket: the first `speakers` of a session speak. */
  index: number;
  room: Room;
  /** What this client does with each server message type (its room's handlers are registered before it joins). */
  handlers: ServerMessageHandlers;
}

interface Speaker {
  member: Member;
  ledger: SpeakerLedger;
  /** Frame of the looped audio this speaker starts at (its phase in the loop; see `#speaker`). */
  firstAudioFrame: number;
  lastEndFrame: number;
  done: boolean;
  wasSpeaking: boolean;
}

interface SessionRun {
  sessionId: string;
  members: Member[];
  speakers: Speaker[];
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * One generator process's share of a load run: joins its sessions' clients through the real SDK, streams the
 * script at real-time pace from each speaker, and records what comes back.
 */
export class LoadGenerator {
  readonly #a: WorkerAssignment;
  readonly #script: SpeechScript;
  /** Null on a run without cameras. */
  readonly #cameras: CameraStreams | null;
  readonly #runs: SessionRun[] = [];
  readonly #report: WorkerReport = {
    joins_ok: 0,
    join_failures: {},
    join_ms: [],
    utterances_sent: 0,
    utterances_heard_by_all: 0,
    deliveries_expected: 0,
    deliveries_received: 0,
    speaking_ms: [],
    speaking_missed: 0,
    speaker_transcript_ms: [],
    listener_transcript_ms: [],
    speaker_interim_ms: [],
    interims_missed: 0,
    missing: [],
    unmatched_transcripts: 0,
    duplicate_transcripts: 0,
    alignment_ms: [],
    errors: {},
    audio_errors: 0,
    disconnects: {},
    frames_sent: 0,
    window_from_ms: 0,
    window_ms: 0,
    window_utterances: [],
    max_lag_ms: 0,
    cpu_ms: 0,
    wall_ms: 0,
  };
  #transcripts = 0;
  #window = { fromMs: 0, toMs: 0 };
  #leaving = false;

  private constructor(assignment: WorkerAssignment, script: SpeechScript, cameras: CameraStreams | null) {
    this.#a = assignment;
    this.#script = script;
    this.#cameras = cameras;
  }

  static async create(assignment: WorkerAssignment): Promise<LoadGenerator> {
    const pcm16 = new Uint8Array(await readFile(assignment.pcmPath));
    const script: SpeechScript = {
      pcm16,
      durationMs: (pcm16.byteLength / FRAME_BYTES) * FRAME_MS,
      utterances: assignment.utterances,
      source: assignment.pcmPath,
    };
    const video = assignment.video;
    const cameras =
      video === null ? null : new CameraStreams(video, new Uint8Array(await readFile(video.jpegPath)), assignment.firstCameraIndex, assignment.totalCameras);
    return new LoadGenerator(assignment, script, cameras);
  }

  /** Joins every client; resolves with how many made it. */
  async join(): Promise<{ joined: number; failed: number }> {
    const jobs = this.#a.sessions.flatMap((session) => session.participants.map((p, index) => ({ session, p, index })));
    const joined = new Map<string, Member[]>();
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        if (job === undefined) break;
        const member = await this.#joinOne(job.session.sessionId, job.p.participantId, job.index, job.p.token);
        if (member !== null) joined.set(job.session.sessionId, [...(joined.get(job.session.sessionId) ?? []), member]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, jobs.length) }, lane));

    let speakerIndex = this.#a.firstSpeakerIndex;
    for (const session of this.#a.sessions) {
      const members = joined.get(session.sessionId) ?? [];
      const speakers: Speaker[] = [];
      for (const member of members) {
        if (member.index >= this.#a.speakers) continue;
        speakers.push(this.#speaker(member, session.createdAtMs, speakerIndex++));
      }
      const run: SessionRun = { sessionId: session.sessionId, members, speakers };
      for (const member of members) this.#listen(run, member);
      this.#cameras?.addSession(members, session.createdAtMs);
      this.#runs.push(run);
    }
    return { joined: this.#report.joins_ok, failed: jobs.length - this.#report.joins_ok };
  }

  async #joinOne(sessionId: string, participantId: string, index: number, token: string): Promise<Member | null> {
    const client = new LoadClient(this.#a.engineUrl);
    client.auth.token = token;
    const startedMs = performance.now();
    try {
      const room = await Promise.race([
        client.joinById(sessionId),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("join_timeout")), this.#a.joinTimeoutMs).unref()),
      ]);
      this.#report.join_ms.push(performance.now() - startedMs);
      this.#report.joins_ok += 1;
      return { participantId, index, room, handlers: client.handlers };
    } catch (error) {
      const code = error instanceof ServerError ? String(error.code) : error instanceof Error ? error.message : "unknown";
      bump(this.#report.join_failures, code.slice(0, 40));
      return null;
    }
  }

  #speaker(member: Member, createdAtMs: number, index: number): Speaker {
    // Spread phases so utterance *ends* spread evenly over the mean utterance period P (loop / U): speaker i starts
    // ((i mod U) + i/N)·P into the loop. Equal steps of loop/N would line ends up whenever N is a multiple of U, and
    // the ASR queue would see bursts no real set of meetings makes.
    const u = this.#script.utterances.length;
    const periodMs = this.#script.durationMs / Math.max(1, u);
    const spread = this.#a.totalSpeakers === 0 ? 0 : index / this.#a.totalSpeakers;
    const firstAudioFrame = Math.floor(((((index % u) + spread) * periodMs) % this.#script.durationMs) / FRAME_MS);
    return {
      member,
      ledger: new SpeakerLedger(member.participantId, createdAtMs),
      firstAudioFrame,
      lastEndFrame: -1,
      done: false,
      wasSpeaking: false,
    };
  }

  #listen(run: SessionRun, member: Member): void {
    const { room, participantId, handlers } = member;
    handlers.transcript = (raw: unknown) => {
      const message = transcriptMessage.safeParse(raw);
      if (!message.success) return;
      const speaker = run.speakers.find((s) => s.member.participantId === message.data.participant_id);
      if (!message.data.final) {
        // Interim captions are measured where the speaker sees them: speech start → the first one.
        if (participantId === message.data.participant_id) speaker?.ledger.interimHeard(message.data.start_ms, Date.now());
        return;
      }
      // An empty final only withdraws an interim line (Whisper heard nothing): not a transcript of the utterance.
      if (message.data.text === "") return;
      this.#transcripts += 1;
      speaker?.ledger.transcriptHeard(participantId, message.data.end_ms, Date.now());
    };
    handlers.error = (raw: unknown) => {
      const message = errorMessage.safeParse(raw);
      bump(this.#report.errors, message.success ? message.data.code : "unparsed_error");
      if (message.success && message.data.type === "audio") this.#report.audio_errors += 1;
      if (message.success && message.data.type === "video") this.#cameras?.errorReply(message.data.code);
    };
    // Everything else the room says (joined, signals, text, lifecycle) is not measured: LoadClient swallows it.
    room.onLeave((code: number) => {
      if (!this.#leaving) bump(this.#report.disconnects, String(code));
    });
    const speaker = () => run.speakers.find((s) => s.member === member);
    room.onStateChange((state: unknown) => {
      const own = speaker();
      if (own === undefined) return;
      const speaking = isSpeaking(state, participantId);
      if (speaking && !own.wasSpeaking) own.ledger.speakingStarted(Date.now());
      own.wasSpeaking = speaking;
    });
  }

  /** Streams until `stopAtMs` (then to the end of the utterance in progress), waits for the last transcripts. */
  async stream(startAtMs: number, stopAtMs: number, progress: (p: WorkerProgress) => void): Promise<void> {
    const speakers = this.#runs.flatMap((run) => run.speakers);
    // The first utterances are still in flight for a while after the start: leave them out of the rates.
    this.#window = { fromMs: startAtMs + Math.min(10_000, (stopAtMs - startAtMs) / 3), toMs: stopAtMs };
    this.#report.window_from_ms = this.#window.fromMs;
    this.#report.window_ms = this.#window.toMs - this.#window.fromMs;
    const wallStart = performance.now();
    const cpuStart = process.cpuUsage();
    const frames = this.#script.pcm16.byteLength / FRAME_BYTES;
    // Counters go out while streaming, not only once it is over: the run's progress line is read from them.
    const progressTimer = setInterval(() => progress(this.progress()), PROGRESS_EVERY_MS);
    const filming = this.#cameras?.run(startAtMs, stopAtMs);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = Date.now();
        if (now < startAtMs) return;
        // Every speaker starts at `startAtMs` (they differ in phase, not in time): the same frames are due for all.
        const due = Math.floor((now - startAtMs) / FRAME_MS) + 1;
        let active = 0;
        for (const s of speakers) {
          if (s.done) continue;
          active += 1;
          for (let n = 0; n < MAX_CATCH_UP_FRAMES && s.ledger.framesSent < due && !s.done; n++) this.#sendFrame(s, frames, now, stopAtMs);
          this.#report.max_lag_ms = Math.max(this.#report.max_lag_ms, (due - s.ledger.framesSent) * FRAME_MS);
        }
        if (active === 0) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    if (filming !== undefined) {
      await filming;
      await new Promise((resolve) => setTimeout(resolve, VIDEO_SETTLE_MS));
    }
    await this.#settle();
    clearInterval(progressTimer);
    progress(this.progress());
    const cpu = process.cpuUsage(cpuStart);
    this.#report.cpu_ms = (cpu.user + cpu.system) / 1000;
    this.#report.wall_ms = performance.now() - wallStart;
  }

  #sendFrame(s: Speaker, frames: number, now: number, stopAtMs: number): void {
    const audioFrame = (s.firstAudioFrame + s.ledger.framesSent) % frames;
    const wasSpeaking = s.ledger.speaking;
    const globalFrame = s.ledger.framesSent;
    s.member.room.sendBytes("audio", this.#script.pcm16.subarray(audioFrame * FRAME_BYTES, (audioFrame + 1) * FRAME_BYTES));
    s.ledger.frameSent(audioFrame, this.#script, now);
    this.#report.frames_sent += 1;
    if (wasSpeaking && !s.ledger.speaking) s.lastEndFrame = globalFrame;
    const tailDone = !s.ledger.speaking && s.lastEndFrame >= 0 && (globalFrame - s.lastEndFrame) * FRAME_MS >= TAIL_SILENCE_MS;
    if (now >= stopAtMs && (tailDone || s.lastEndFrame < 0 || now >= stopAtMs + MAX_OVERRUN_MS)) s.done = true;
  }

  /** Waits until every sent utterance reached every participant, or `settleMs`. */
  async #settle(): Promise<void> {
    const deadline = Date.now() + this.#a.settleMs;
    while (Date.now() < deadline && !this.#allHeard()) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  #allHeard(): boolean {
    return this.#runs.every((run) =>
      run.speakers.every((s) =>
        s.ledger.utterances.every((u) => u.partial || u.expectedEndMs === null || u.heardAtMs.size >= run.members.length),
      ),
    );
  }

  progress(): WorkerProgress {
    const ledgers = this.#runs.flatMap((run) => run.speakers.map((s) => s.ledger));
    return {
      frames_sent: this.#report.frames_sent,
      // Counted as the summary counts them: whole utterances whose end went out.
      utterances_sent: ledgers.reduce((n, l) => n + l.utterances.filter((u) => !u.partial && u.endSentAtMs !== null).length, 0),
      transcripts_received: this.#transcripts,
      errors: Object.values(this.#report.errors).reduce((n, c) => n + c, 0),
      ...(this.#cameras === null ? {} : { camera_frames_sent: this.#cameras.framesSent, expressions_received: this.#cameras.expressionsReceived }),
    };
  }

  /** Leaves every room and returns the measurements. */
  async finish(): Promise<WorkerReport> {
    const r = this.#report;
    for (const run of this.#runs) {
      for (const s of run.speakers) {
        const listener =
          run.members.find((m) => m !== s.member && m.index >= this.#a.speakers) ??
          run.members.find((m) => m !== s.member);
        for (const u of s.ledger.utterances) {
          if (u.expectedEndMs === null || u.endSentAtMs === null || u.partial) continue;
          r.utterances_sent += 1;
          r.deliveries_expected += run.members.length;
          r.deliveries_received += u.heardAtMs.size;
          if (u.heardAtMs.size >= run.members.length) r.utterances_heard_by_all += 1;
          else if (r.missing.length < 20) {
            r.missing.push({ session_id: run.sessionId, speaker: s.member.participantId, expected_end_ms: Math.round(u.expectedEndMs), heard_by: [...u.heardAtMs.keys()] });
          }
          if (u.speakingAtMs === null) r.speaking_missed += 1;
          else r.speaking_ms.push(u.speakingAtMs - u.startSentAtMs);
          const own = u.heardAtMs.get(s.member.participantId);
          if (u.endSentAtMs >= this.#window.fromMs && u.endSentAtMs < this.#window.toMs) {
            r.window_utterances.push({ end_sent_ms: u.endSentAtMs, heard_ms: own ?? null });
          }
          if (own !== undefined) r.speaker_transcript_ms.push(own - u.endSentAtMs);
          if (u.firstInterimAtMs === null) r.interims_missed += 1;
          else r.speaker_interim_ms.push(u.firstInterimAtMs - u.startSentAtMs);
          const heard = listener === undefined ? undefined : u.heardAtMs.get(listener.participantId);
          if (heard !== undefined) r.listener_transcript_ms.push(heard - u.endSentAtMs);
        }
        r.unmatched_transcripts += s.ledger.unmatched;
        r.duplicate_transcripts += s.ledger.duplicates;
        r.alignment_ms.push(...s.ledger.alignmentErrorsMs);
      }
    }
    if (this.#cameras !== null) r.video = this.#cameras.report();
    this.#leaving = true;
    await Promise.all(this.#runs.flatMap((run) => run.members.map((m) => m.room.leave(true).catch(() => undefined))));
    return r;
  }
}
