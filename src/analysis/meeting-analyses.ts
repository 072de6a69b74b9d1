import { EngineError } from "../errors.js";
import type { EventPublisher } from "../events/event-publisher.js";
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
  /** Told of each analysis started at a session's end that failed (a metric). */
  onFailure?: () => void;
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
}

export const DEFAULT_MEETING_ANALYSES_OPTIONS: MeetingAnalysesOptions = {
  liveTtlMs: 5_000,
  bounds: DEFAULT_MEETING_INPUT_BOUNDS,
  summary: DEFAULT_MEETING_SUMMARY_OPTIONS,
  analysis: {},
  closeGraceMs: 10_000,
};

/** A session's analysis and what it is. */
export interface MeetingAnalysisResult {
  status: "final" | "live";
  version: number;
  computedAt: Date;
  analysis: MeetingAnalysisPayload;
}

/**
 * Meeting analyses: computed once a session has ended (`sessionEnded`, from the room) and stored; an ended session's
 * is served from the store (computed then if it is missing: a process that stopped before finishing it), a live
 * session's is a snapshot computed on demand (kept `liveTtlMs`). One computation per session at a time: concurrent
 * requests share it. Work is bounded by `bounds` (inputs) and the LLM client's timeouts (the summary).
 */
export class MeetingAnalyses {
  readonly #deps: MeetingAnalysesDeps;
  readonly #options: MeetingAnalysesOptions;
  readonly #inFlight = new Map<string, { final: boolean; result: Promise<MeetingAnalysisResult> }>();
  /** Analyses started by `sessionEnded`, for `close` to wait on. */
  readonly #background = new Set<Promise<void>>();
  /** Aborted once `close`'s grace has run out: summaries still in progress stop at once. */
  readonly #stopping = new AbortController();
  #closing = false;

  constructor(deps: MeetingAnalysesDeps, options: Partial<MeetingAnalysesOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_MEETING_ANALYSES_OPTIONS, ...options };
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
   * The room's last call, once its writes are flushed: the final analysis, in the background (failures logged and
   * counted, never thrown). Skipped when a final analysis of this version is already stored (a request got there first).
   */
  sessionEnded(sessionId: string): void {
    if (this.#closing) return;
    const task = (async () => {
      if ((await this.#stored(sessionId, true)) !== null) return;
      await this.computeAndStore(sessionId, { final: true });
    })().catch((error: unknown) => {
      this.#deps.logger.error({ err: error, session_id: sessionId }, "meeting analysis at session end failed");
      this.#deps.onFailure?.();
    });
    this.#background.add(task);
    void task.finally(() => this.#background.delete(task));
  }

  /**
   * Waits for every computation, `closeGraceMs` at most before cutting the summaries still in progress (their
   * analyses are then not stored: a later request computes them). Sessions ending after this start none.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const pending = Promise.allSettled([...this.#background, ...[...this.#inFlight.values()].map((entry) => entry.result)]);
    const grace = setTimeout(() => this.#stopping.abort(), this.#options.closeGraceMs);
    try {
      await pending;
    } finally {
      clearTimeout(grace);
    }
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
    if (final && summary.unavailable === "llm_unavailable" && this.#stopping.signal.aborted) return result;
    await this.#deps.meetingAnalyses.saveMeetingAnalysis({ sessionId, status: result.status, version: result.version, payload: analysis, computedAt });
    if (final) this.#deps.events?.publish("meeting_analysis.completed", sessionId, { status: result.status, version: result.version, summary_available: analysis.summary !== null });
    this.#deps.logger.info(
      { session_id: sessionId, status: result.status, segments: computed.totals.segments, summary: summary.unavailable ?? "made", ms: Math.round(performance.now() - startedMs) },
      "meeting analysis computed",
    );
    return result;
  }
}
