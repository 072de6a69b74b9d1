import { EngineError } from "../errors.js";
import type { EventPublisher } from "../events/event-publisher.js";
import type { JobContext, JobQueue, JsonValue } from "../jobs/job-queue.js";
import { settleWithin } from "../jobs/job-attempts.js";
import type { Logger } from "../logger.js";
import type { MeetingAnalysisStore } from "../persistence/meeting-analysis-store.js";
import type { SessionRecord } from "../persistence/store.js";
import type { LlmClient } from "../tutor/llm/llm-client.js";
import { analyseMeeting, type MeetingAnalysisOptions } from "./meeting-analysis.js";
import { MEETING_ANALYSIS_VERSION, meetingAnalysisPayload, type MeetingAnalysisPayload } from "./meeting-analysis-schema.js";
import { DEFAULT_MEETING_INPUT_BOUNDS, loadMeetingInput, type MeetingInputBounds, type MeetingSources } from "./meeting-inputs.js";
import { DEFAULT_MEETING_SUMMARY_OPTIONS, summarizeMeeting, transcriptLines, type MeetingSummaryOptions, type SummaryOutcome } from "./meeting-summary.js";

export interface MeetingAnalysesDeps extends MeetingSources {
  meetingAnalyses: MeetingAnalysisStore;
  /** The summary's model: the engine's LLM client and LLM_MODEL (null → no summaries). */
  llm: { client: LlmClient; model: string | null };
  logger: Logger;
  /**
   * Where the analysis at a session's end runs: a `meeting_analysis` job (id `meeting_analysis:<session id>`), retried
   * with backoff, dead-lettered with its last error. This service registers the kind's handler.
   */
  jobs: JobQueue;
  /** Where a stored final analysis is announced (`meeting_analysis.completed`); none in tests that do not listen. */
  events?: EventPublisher;
}

export interface MeetingAnalysesOptions {
  /** A live session's snapshot is served from the store for this long, then computed again. */
  liveTtlMs: number;
  bounds: MeetingInputBounds;
  summary: MeetingSummaryOptions;
  /** Over `DEFAULT_MEETING_ANALYSIS_OPTIONS` (the input bounds come from `bounds`). */
  analysis: Partial<Pick<MeetingAnalysisOptions, "segmentPaddingMs" | "holdCapMs" | "maxListedInterruptions">>;
  /** `close` lets computations in progress finish for this long, then cuts their summaries. */
  closeGraceMs: number;
  /** How long a session-end job is followed (for `close` to wait on) before it is left to the queue alone. */
  followJobMs: number;
}

export const DEFAULT_MEETING_ANALYSES_OPTIONS: MeetingAnalysesOptions = {
  liveTtlMs: 5_000,
  bounds: DEFAULT_MEETING_INPUT_BOUNDS,
  summary: DEFAULT_MEETING_SUMMARY_OPTIONS,
  analysis: {},
  closeGraceMs: 10_000,
  followJobMs: 10 * 60_000,
};

/** A session's analysis and what it is. */
export interface MeetingAnalysisResult {
  status: "final" | "live";
  version: number;
  computedAt: Date;
  analysis: MeetingAnalysisPayload;
}

/**
 * Meeting analyses: computed once a session has ended (`sessionEnded`, from the room, queues the job) and stored; an
 * ended session's is served from the store (computed then if it is missing: a process that stopped before finishing it), a live
 * session's is a snapshot computed on demand (kept `liveTtlMs`). One computation per session at a time: concurrent
 * requests share it. Work is bounded by `bounds` (inputs) and the LLM client's timeouts (the summary).
 */
export class MeetingAnalyses {
  readonly #deps: MeetingAnalysesDeps;
  readonly #options: MeetingAnalysesOptions;
  readonly #inFlight = new Map<string, { final: boolean; result: Promise<MeetingAnalysisResult> }>();
  /** Session-end jobs queued by `sessionEnded` until they settle, for `close` to wait on. */
  readonly #background = new Set<Promise<void>>();
  /** Aborted once `close`'s grace has run out: summaries still in progress stop at once. */
  readonly #stopping = new AbortController();
  #closing = false;

  constructor(deps: MeetingAnalysesDeps, options: Partial<MeetingAnalysesOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_MEETING_ANALYSES_OPTIONS, ...options };
    deps.jobs.handle("meeting_analysis", (payload, context) => this.#runJob(payload.session_id, context));
  }

  /** The session's analysis: stored when current, else computed (and stored). Unknown id → `session_not_found`. */
  async get(sessionId: string, options: { refresh?: boolean } = {}): Promise<MeetingAnalysisResult> {
    const session = await this.#session(sessionId);
    const final = session.status === "ended";
    const running = this.#inFlight.get(sessionId);
    if (running !== undefined && (running.final || !final)) return running.result;
    if (options.refresh !== true) {
      const stored = await this.#stored(sessionId, final);
      if (stored !== null) return stored;
    }
    return this.computeAndStore(sessionId, { final });
  }

  /**
   * Computes the analysis and stores it (`final`: the session has ended; else a `live` snapshot, without a summary).
   * Joins a computation of the session already running when that one is at least as final.
   */
  computeAndStore(sessionId: string, options: { final: boolean }): Promise<MeetingAnalysisResult> {
    const running = this.#inFlight.get(sessionId);
    if (running !== undefined && (running.final || !options.final)) return running.result;
    // A live snapshot in progress is left to finish; the final computation starts after it, so their writes keep order.
    const before = running?.result.catch(() => undefined) ?? Promise.resolve();
    const result = before.then(() => this.#compute(sessionId, options.final));
    const entry = { final: options.final, result };
    this.#inFlight.set(sessionId, entry);
    const forget = () => {
      if (this.#inFlight.get(sessionId) === entry) this.#inFlight.delete(sessionId);
    };
    result.then(forget, forget);
    return result;
  }

  /**
   * The room's last call, once its writes are flushed: queues the final analysis as job `meeting_analysis:<id>`
   * (idempotent: a session ending twice is analysed once). The job skips the work when a final analysis of this
   * version is stored already (a request got there first). Resolves once the job is queued; never rejects (a job that
   * cannot be queued is logged).
   */
  sessionEnded(sessionId: string): Promise<void> {
    if (this.#closing) return Promise.resolve();
    const { jobs, logger } = this.#deps;
    const queued = jobs.add("meeting_analysis", { session_id: sessionId }, { key: sessionId }).then(
      (job) => job.id,
      (error: unknown) => {
        logger.error({ err: error, session_id: sessionId }, "meeting analysis at session end not queued");
        return null;
      },
    );
    const task = queued.then(async (id) => {
      if (id !== null) await jobs.settled(id, this.#options.followJobMs).catch((error: unknown) => logger.warn({ err: error, job_id: id }, "meeting analysis job not followed"));
    });
    this.#background.add(task);
    void task.finally(() => this.#background.delete(task));
    return queued.then(() => undefined);
  }

  /**
   * Waits `closeGraceMs` at most for the session-end jobs and the computations in progress, then cuts the summaries
   * still being made (their analyses are not stored: the job is retried, on Redis by another process, or a later
   * request computes it). Sessions ending after this queue none. Close the job queue after this.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const computing = () => [...this.#inFlight.values()].map((entry) => entry.result);
    if (!(await settleWithin([...this.#background, ...computing()], this.#options.closeGraceMs))) {
      this.#stopping.abort();
      // Cut summaries end at once; what is left is bounded database work.
      await Promise.allSettled(computing());
    }
  }

  /** The `meeting_analysis` job: the stored final analysis, or one computed now; what the job's result records. */
  async #runJob(sessionId: string, context: JobContext): Promise<JsonValue> {
    const stored = await this.#stored(sessionId, true);
    const result = stored ?? (await this.computeAndStore(sessionId, { final: true }));
    if (stored === null && this.#cutShort(result)) {
      throw new EngineError("draining", "the engine stopped while the summary was being made: the analysis was not stored");
    }
    this.#deps.logger.debug({ session_id: sessionId, job_id: context.jobId, attempt: context.attempt }, "meeting analysis job done");
    return {
      session_id: sessionId,
      status: result.status,
      version: result.version,
      computed_at: result.computedAt.toISOString(),
      summary_unavailable: result.analysis.summary_unavailable,
      computed: stored === null,
    };
  }

  /** A final analysis whose summary shutdown cut: not the meeting's, so it is not stored. */
  #cutShort(result: MeetingAnalysisResult): boolean {
    return result.status === "final" && result.analysis.summary_unavailable === "llm_unavailable" && this.#stopping.signal.aborted;
  }

  async #session(sessionId: string): Promise<SessionRecord> {
    const session = await this.#deps.store.getSession(sessionId);
    if (session === null) throw new EngineError("session_not_found", "no session has that id");
    return session;
  }

  /** The stored analysis when it can be served: final and current for an ended session, recent for a live one. */
  async #stored(sessionId: string, final: boolean): Promise<MeetingAnalysisResult | null> {
    const stored = await this.#deps.meetingAnalyses.getMeetingAnalysis(sessionId);
    if (stored === null || stored.version !== MEETING_ANALYSIS_VERSION) return null;
    if (final ? stored.status !== "final" : Date.now() - stored.computedAt.getTime() > this.#options.liveTtlMs) return null;
    const parsed = meetingAnalysisPayload.safeParse(stored.payload);
    if (!parsed.success) {
      this.#deps.logger.warn({ session_id: sessionId }, "stored meeting analysis does not parse: computing it again");
      return null;
    }
    return { status: stored.status, version: stored.version, computedAt: stored.computedAt, analysis: parsed.data };
  }

  async #compute(sessionId: string, final: boolean): Promise<MeetingAnalysisResult> {
    const startedMs = performance.now();
    const session = await this.#session(sessionId);
    const computedAt = new Date();
    const endMs = final && session.endedAt !== null ? session.endedAt.getTime() : computedAt.getTime();
    const input = await loadMeetingInput(this.#deps, session, Math.max(0, endMs - session.createdAt.getTime()), this.#options.bounds);
    const computed = analyseMeeting(input, { ...this.#options.analysis, maxSegments: this.#options.bounds.maxSegments, maxObservations: this.#options.bounds.maxObservations });
    const names = new Map(computed.participants.map((p) => [p.participant_id, p.name ?? p.participant_id]));
    const summary: SummaryOutcome = !final
      ? { summary: null, unavailable: "session_live" }
      : session.kind !== "meeting"
        ? { summary: null, unavailable: "not_a_meeting" }
        : await summarizeMeeting(
            this.#deps.llm,
            transcriptLines(computed.segments.map((s) => ({ speaker: names.get(s.participant_id) ?? s.participant_id, text: s.text }))),
            this.#stopping.signal,
            this.#options.summary,
          );
    const analysis: MeetingAnalysisPayload = { ...computed, summary: summary.summary, summary_unavailable: summary.unavailable };
    const result: MeetingAnalysisResult = { status: final ? "final" : "live", version: MEETING_ANALYSIS_VERSION, computedAt, analysis };
    // A summary cut short by shutdown is not the meeting's: leave nothing stored, so the next request computes it whole.
    if (this.#cutShort(result)) return result;
    await this.#deps.meetingAnalyses.saveMeetingAnalysis({ sessionId, status: result.status, version: result.version, payload: analysis, computedAt });
    if (final) this.#deps.events?.publish("meeting_analysis.completed", sessionId, { status: result.status, version: result.version, summary_available: analysis.summary !== null });
    this.#deps.logger.info(
      { session_id: sessionId, status: result.status, segments: computed.totals.segments, summary: summary.unavailable ?? "made", ms: Math.round(performance.now() - startedMs) },
      "meeting analysis computed",
    );
    return result;
  }
}
