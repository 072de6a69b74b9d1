import { parseArgs } from "node:util";
import { MAX_VIDEO_FPS } from "../src/protocol/client-messages.js";

/** The JPEG every camera of a run sends (made by `video-frame.ts` from a real face photo). */
export const VIDEO_FRAME_KINDS = ["webcam", "portrait"] as const;
export type VideoFrameKind = (typeof VIDEO_FRAME_KINDS)[number];

/** What one load run does. Every loop it drives is bounded by these numbers. */
export interface LoadOptions {
  sessions: number;
  /** Clients per session (speakers included). */
  participants: number;
  /** Participants per session that stream speech; the rest listen. */
  speakers: number;
  /** How long the speakers stream; the run then waits up to `settleMs` for the last transcripts. */
  durationMs: number;
  /** A WAV to loop (any rate, mono or stereo); null → synthesized English sentences (espeak-ng). */
  audioPath: string | null;
  jsonPath: string | null;
  /** A running engine (loopback only); null → the run starts its own on a free port. */
  url: string | null;
  adminKey: string | null;
  metricsToken: string | null;
  /** Generator processes the clients are spread over (sessions stay whole within one). */
  workers: number;
  joinTimeoutMs: number;
  settleMs: number;
  scrapeEveryMs: number;
  /** A transcript later than this after its utterance ended counts as late. */
  latencyBoundMs: number;
  /** Print a progress line every so often (0: never). */
  progressEveryMs: number;
  /** Camera frames a second every participant streams besides the audio (0: no camera). */
  videoFps: number;
  /** Which JPEG every camera sends (the same bytes for all; see `video-frame.ts`). */
  videoFrame: VideoFrameKind;
}

export const DEFAULT_LOAD_OPTIONS: LoadOptions = {
  sessions: 4,
  participants: 3,
  speakers: 1,
  durationMs: 30_000,
  audioPath: null,
  jsonPath: null,
  url: null,
  adminKey: null,
  metricsToken: null,
  workers: 2,
  joinTimeoutMs: 15_000,
  settleMs: 15_000,
  scrapeEveryMs: 1_000,
  latencyBoundMs: 2_000,
  progressEveryMs: 1_000,
  videoFps: 0,
  videoFrame: "webcam",
};

export const LOAD_LIMITS = { sessions: 500, participants: 50, durationS: 3_600, workers: 16 } as const;

export class LoadUsageError extends Error {
  override readonly name = "LoadUsageError";
}

export const LOAD_USAGE = `Usage: npm run loadtest -- [--sessions N] [--participants M] [--speakers K] [--duration S]
                          [--audio file.wav] [--json out.json] [--url http://127.0.0.1:PORT] [--workers W]
  --sessions N      sessions created through the management API (default ${DEFAULT_LOAD_OPTIONS.sessions}, at most ${LOAD_LIMITS.sessions})
  --participants M  clients per session (default ${DEFAULT_LOAD_OPTIONS.participants})
  --speakers K      clients per session that stream speech at real-time pace (default ${DEFAULT_LOAD_OPTIONS.speakers})
  --duration S      seconds of streaming (default ${DEFAULT_LOAD_OPTIONS.durationMs / 1000})
  --audio FILE      WAV to loop (default: English sentences synthesized with espeak-ng)
  --json FILE       write the full result as JSON
  --url URL         a running engine on 127.0.0.1 (needs ADMIN_API_KEY; METRICS_TOKEN if /metrics has one);
                    without it the run starts its own engine (embedded defaults, or DATABASE_URL/REDIS_URL)
  --workers W       generator processes (default ${DEFAULT_LOAD_OPTIONS.workers})
  --bound MS        end-of-utterance → transcript bound counted as late (default ${DEFAULT_LOAD_OPTIONS.latencyBoundMs})
  --video-fps N     every participant also streams camera frames, N a second (0–${MAX_VIDEO_FPS}; default ${DEFAULT_LOAD_OPTIONS.videoFps}: off)
  --video-frame F   the frame every camera sends: ${VIDEO_FRAME_KINDS.join(" | ")} (default ${DEFAULT_LOAD_OPTIONS.videoFrame}; see README)`;

export function parseLoadArgs(argv: string[], env: NodeJS.ProcessEnv): LoadOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      sessions: { type: "string" },
      participants: { type: "string" },
      speakers: { type: "string" },
      duration: { type: "string" },
      audio: { type: "string" },
      json: { type: "string" },
      url: { type: "string" },
      workers: { type: "string" },
      bound: { type: "string" },
      "video-fps": { type: "string" },
      "video-frame": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  const options: LoadOptions = {
    ...DEFAULT_LOAD_OPTIONS,
    audioPath: values.audio ?? null,
    jsonPath: values.json ?? null,
    url: values.url ?? null,
    adminKey: env["ADMIN_API_KEY"] ?? null,
    metricsToken: env["METRICS_TOKEN"] ?? null,
  };
  if (values.sessions !== undefined) options.sessions = wholeNumber(values.sessions, "--sessions", 1, LOAD_LIMITS.sessions);
  if (values.participants !== undefined) {
    options.participants = wholeNumber(values.participants, "--participants", 1, LOAD_LIMITS.participants);
  }
  if (values.speakers !== undefined) options.speakers = wholeNumber(values.speakers, "--speakers", 0, LOAD_LIMITS.participants);
  if (values.duration !== undefined) {
    options.durationMs = wholeNumber(values.duration, "--duration", 1, LOAD_LIMITS.durationS) * 1000;
  }
  if (values.workers !== undefined) options.workers = wholeNumber(values.workers, "--workers", 1, LOAD_LIMITS.workers);
  if (values.bound !== undefined) options.latencyBoundMs = wholeNumber(values.bound, "--bound", 100, 60_000);
  if (values["video-fps"] !== undefined) options.videoFps = wholeNumber(values["video-fps"], "--video-fps", 0, MAX_VIDEO_FPS);
  if (values["video-frame"] !== undefined) options.videoFrame = videoFrameKind(values["video-frame"]);
  return checkLoadOptions(options);
}

/** Cross-field rules, shared by the CLI and programmatic callers. */
export function checkLoadOptions(options: LoadOptions): LoadOptions {
  if (options.speakers > options.participants) {
    throw new LoadUsageError(`--speakers (${options.speakers}) cannot exceed --participants (${options.participants})`);
  }
  if (options.url !== null) {
    let host: string;
    try {
      host = new URL(options.url).hostname;
    } catch {
      throw new LoadUsageError(`--url is not a URL: ${options.url}`);
    }
    // Load goes to this machine only: a load test must never hit someone else's service by mistake.
    if (!["127.0.0.1", "localhost", "[::1]"].includes(host)) {
      throw new LoadUsageError(`--url must point at 127.0.0.1 (got ${host})`);
    }
    if (options.adminKey === null) throw new LoadUsageError("--url needs ADMIN_API_KEY in the environment");
  }
  if (!Number.isInteger(options.videoFps) || options.videoFps < 0 || options.videoFps > MAX_VIDEO_FPS) {
    throw new LoadUsageError(`--video-fps needs a whole number from 0 to ${MAX_VIDEO_FPS}, got ${options.videoFps}`);
  }
  return options;
}

export function videoFrameKind(text: string): VideoFrameKind {
  const kind = VIDEO_FRAME_KINDS.find((k) => k === text);
  if (kind === undefined) throw new LoadUsageError(`--video-frame is one of ${VIDEO_FRAME_KINDS.join(", ")}, got "${text}"`);
  return kind;
}

/** A whole number flag within bounds, or `LoadUsageError` naming the flag and the range. */
export function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LoadUsageError(`${flag} needs a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
