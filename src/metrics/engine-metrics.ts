import { orAfter } from "../or-after.js";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { SESSION_KINDS, SESSION_STATUSES, type LocalRoomListing } from "../domain.js";
import type { PoolStatusView } from "../inference/pool-service.js";
import type { FrameTimings, StageTimings } from "../inference/pool-types.js";
import { EventMetrics } from "./event-metrics.js";
import { WriteMetrics } from "./write-metrics.js";
import { JobMetrics } from "./job-metrics.js";
import { FailoverMetrics } from "./failover-metrics.js";
import { renderPoolMetrics, type PoolSnapshot } from "./pool-metrics.js";
import { TutorMetrics } from "./tutor-metrics.js";

export interface EngineMetricsOptions {
  /** How long a scrape waits for each pool's status; a pool slower than this is reported down for that scrape. */
  poolStatusTimeoutMs: number;
  /**
   * One `engine_room_clients` series per room, with its session id: which process holds which room. Only behind
   * METRICS_TOKEN: an open `/metrics` names no session.
   */
  perRoomSeries: boolean;
}

export const DEFAULT_ENGINE_METRICS_OPTIONS: EngineMetricsOptions = { poolStatusTimeoutMs: 1_000, perRoomSeries: false };

/** Where an error was answered or seen; with the stable error code, the only labels errors carry. */
export type ErrorSource = "room" | "join" | "api" | "pool" | "database" | "scrape" | "process";

/** Client message types the rooms handle, started at zero; anything unregistered is counted as `unknown`. */
const RECEIVED_MESSAGE_TYPES = ["audio", "video", "signal", "text", "unknown"] as const;
/**
 * What became of camera frames: taken by a room (`received`) or refused there, then in the pool analysed or dropped
 * as stale (replaced by a newer frame of the same camera before its analysis started).
 */
export const VIDEO_FRAME_OUTCOMES = ["received", "refused", "analysed", "dropped_stale"] as const;
export type VideoFrameOutcome = (typeof VIDEO_FRAME_OUTCOMES)[number];
const VIDEO_STAGES = ["queue", "decode", "detect", "expression", "frame_to_result"] as const;

/** What a scrape reads: the rooms of this process and each pool's status, in configuration order. */
export interface MetricsSources {
  listRooms(): Promise<LocalRoomListing[]>;
  /** This process's matchmaking id (Colyseus' `processId`) and PUBLIC_ADDRESS: which process holds which room. */
  process(): { processId: string; publicAddress: string | null };
  poolStatuses(): Promise<PoolStatusView>[];
}

const SECONDS_PER_MS = 1 / 1000;
/** Speech latencies: tens of ms (queue wait) to seconds (a long utterance on a busy CPU). */
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16];
const STAGES = ["asr_queue_wait", "asr_run", "speech_end_to_transcript"] as const;

/**
 * The engine's Prometheus metrics, in a registry of its own (never prom-client's global one: several engines may
 * share a process, as in tests). Labels carry only bounded vocabularies (kinds, statuses, message types, error codes,
 * write labels, pool positions), never participant ids or names; session ids only in `engine_room_clients`, and only
 * behind METRICS_TOKEN.
 */
export class EngineMetrics {
  readonly #registry = new Registry();
  readonly #sources: MetricsSources;
  readonly #options: EngineMetricsOptions;
  readonly #rooms: Gauge<"kind" | "status">;
  readonly #clients: Gauge;
  readonly #processInfo: Gauge<"process_id" | "public_address">;
  readonly #roomInfo: Gauge<"session_id" | "kind" | "process_id">;
  readonly #received: Counter<"type">;
  readonly #sent: Counter<"type">;
  readonly #audioSeconds: Counter;
  readonly #stageLatency: Histogram<"stage">;
  readonly #transcriptsPersisted: Counter;
  readonly #videoFrames: Counter<"outcome">;
  readonly #videoLatency: Histogram<"stage">;
  readonly #errors: Counter<"source" | "code">;
  readonly #poolStatusFailures: Counter<"pool">;
  readonly #repliesSuppressed: Counter;
  /** Tutor instances and turns, in the same registry. */
  readonly tutor: TutorMetrics;
  /** The event bus' envelopes published, dropped and received malformed, per topic. */
  readonly events: EventMetrics;
  /** The rooms' database writes: attempts, retries, losses, buffered writes, degraded rooms (also read by `/ready`). */
  readonly writes: WriteMetrics;
  /** The inference pools' health, links moved between them, requests retried, pool threads restarted. */
  readonly failover: FailoverMetrics;
  /** The job queue's jobs completed, retried and dead-lettered, per kind. */
  readonly jobs: JobMetrics;

  constructor(sources: MetricsSources, options: Partial<EngineMetricsOptions> = {}) {
    this.#sources = sources;
    this.#options = { ...DEFAULT_ENGINE_METRICS_OPTIONS, ...options };
    const registers = [this.#registry];
    collectDefaultMetrics({ register: this.#registry });
    this.#rooms = new Gauge({ name: "engine_rooms", help: "Session rooms of this process by kind and lifecycle status.", labelNames: ["kind", "status"], registers });
    this.#clients = new Gauge({ name: "engine_connected_clients", help: "Client connections to the rooms of this process.", registers });
    this.#processInfo = new Gauge({ name: "engine_process_info", help: "Always 1: this process's matchmaking id and PUBLIC_ADDRESS.", labelNames: ["process_id", "public_address"], registers });
    // The one series per session: several processes behind Redis must say which holds which room. A session id is an
    // opaque UUID (no personal data), the series are bounded by MAX_SESSIONS, and only a private /metrics has them.
    this.#roomInfo = new Gauge({ name: "engine_room_clients", help: "Connections of each session room this process holds.", labelNames: ["session_id", "kind", "process_id"], registers });
    this.#received = new Counter({ name: "engine_messages_received_total", help: "Client messages received by type (audio frames included).", labelNames: ["type"], registers });
    this.#sent = new Counter({ name: "engine_messages_sent_total", help: "Messages sent to clients by type (one per recipient).", labelNames: ["type"], registers });
    this.#audioSeconds = new Counter({ name: "engine_audio_received_seconds_total", help: "Seconds of participant audio accepted by the rooms.", registers });
    this.#stageLatency = new Histogram({
      name: "engine_stage_latency_seconds",
      help: "Per utterance: ASR queue wait, ASR run, and end of speech to transcript broadcast.",
      labelNames: ["stage"],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.#videoFrames = new Counter({ name: "engine_video_frames_total", help: "Camera frames by outcome: received or refused by a room, analysed or dropped as stale by the pool.", labelNames: ["outcome"], registers });
    this.#videoLatency = new Histogram({
      name: "engine_video_stage_latency_seconds",
      help: "Per camera frame: pool queue wait, JPEG decode, face detection, expression, and arrival in the room to its result applied (broadcast when it is announced).",
      labelNames: ["stage"],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.#transcriptsPersisted = new Counter({ name: "engine_transcripts_persisted_total", help: "Final transcript segments written to the database.", registers });
    this.#errors = new Counter({ name: "engine_errors_total", help: "Errors by where they surfaced and their stable code.", labelNames: ["source", "code"], registers });
    this.#poolStatusFailures = new Counter({ name: "engine_inference_status_failures_total", help: "Scrapes where a pool's status failed or timed out.", labelNames: ["pool"], registers });
    this.#repliesSuppressed = new Counter({
      name: "engine_error_replies_suppressed_total",
      help: "Refused client messages not answered because the connection spent its error-reply budget.",
      registers,
    });
    this.tutor = new TutorMetrics(this.#registry);
    this.events = new EventMetrics(this.#registry);
    this.writes = new WriteMetrics(this.#registry, (code) => this.error("database", code));
    this.failover = new FailoverMetrics(this.#registry);
    this.jobs = new JobMetrics(this.#registry);
    // Known label values start at zero so dashboards and rate() see the series before the first event.
    for (const type of RECEIVED_MESSAGE_TYPES) this.#received.inc({ type }, 0);
    for (const stage of STAGES) this.#stageLatency.zero({ stage });
    for (const outcome of VIDEO_FRAME_OUTCOMES) this.#videoFrames.inc({ outcome }, 0);
    for (const stage of VIDEO_STAGES) this.#videoLatency.zero({ stage });
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  /** `type` must be a name the server registered (bounded), never one a client chose. */
  messageReceived(type: string): void {
    this.#received.inc({ type });
  }

  /** `recipients` copies of a message of `type` (a broadcast counts each client it reaches). */
  messagesSent(type: string, recipients = 1): void {
    if (recipients > 0) this.#sent.inc({ type }, recipients);
  }

  audioReceived(durationMs: number): void {
    this.#audioSeconds.inc(durationMs * SECONDS_PER_MS);
  }

  /** A transcript from the pool: its stage timings, and `deliveryMs` spent in the engine up to the broadcast. */
  transcriptDelivered(timings: StageTimings, deliveryMs: number): void {
    this.#stageLatency.observe({ stage: "asr_queue_wait" }, timings.queueMs * SECONDS_PER_MS);
    this.#stageLatency.observe({ stage: "asr_run" }, timings.asrMs * SECONDS_PER_MS);
    this.#stageLatency.observe({ stage: "speech_end_to_transcript" }, (timings.totalMs + deliveryMs) * SECONDS_PER_MS);
  }

  videoFrame(outcome: VideoFrameOutcome): void {
    this.#videoFrames.inc({ outcome });
  }

  /** A camera frame's result applied: its pool stages, and `totalMs` from its arrival in the room. */
  frameDelivered(timings: FrameTimings, totalMs: number): void {
    this.#videoLatency.observe({ stage: "queue" }, timings.queueMs * SECONDS_PER_MS);
    this.#videoLatency.observe({ stage: "decode" }, timings.decodeMs * SECONDS_PER_MS);
    this.#videoLatency.observe({ stage: "detect" }, timings.detectMs * SECONDS_PER_MS);
    this.#videoLatency.observe({ stage: "expression" }, timings.expressionMs * SECONDS_PER_MS);
    this.#videoLatency.observe({ stage: "frame_to_result" }, totalMs * SECONDS_PER_MS);
  }

  transcriptPersisted(): void {
    this.#transcriptsPersisted.inc();
  }

  error(source: ErrorSource, code: string): void {
    this.#errors.inc({ source, code });
  }

  /** A refusal counted in `engine_errors_total` but not answered (the sender's error-reply budget was spent). */
  errorReplySuppressed(): void {
    this.#repliesSuppressed.inc();
  }

  /** The exposition: this process's metrics, then each pool's as read now. A failing source never fails it. */
  async text(): Promise<string> {
    const [, pools] = await Promise.all([this.#collectRooms(), this.#collectPools()]);
    return `${await this.#registry.metrics()}\n${renderPoolMetrics(pools)}`;
  }

  async #collectRooms(): Promise<void> {
    const rooms = await this.#sources.listRooms().catch(() => null);
    if (rooms === null) {
      this.error("scrape", "room_listing_failed");
      return;
    }
    this.#rooms.reset();
    for (const kind of SESSION_KINDS) for (const status of SESSION_STATUSES) this.#rooms.set({ kind, status }, 0);
    for (const room of rooms) this.#rooms.inc({ kind: room.kind, status: room.status });
    this.#clients.set(rooms.reduce((sum, room) => sum + room.clients, 0));
    const { processId, publicAddress } = this.#sources.process();
    this.#processInfo.reset();
    this.#processInfo.set({ process_id: processId, public_address: publicAddress ?? "" }, 1);
    this.#roomInfo.reset();
    if (this.#options.perRoomSeries) {
      for (const room of rooms) this.#roomInfo.set({ session_id: room.sessionId, kind: room.kind, process_id: processId }, room.clients);
    }
  }

  async #collectPools(): Promise<PoolSnapshot[]> {
    return Promise.all(
      this.#sources.poolStatuses().map(async (pending, index) => {
        const pool = String(index);
        const status = await orAfter(pending, this.#options.poolStatusTimeoutMs, null).catch(() => null);
        if (status === null) this.#poolStatusFailures.inc({ pool });
        return { pool, status };
      }),
    );
  }
}

