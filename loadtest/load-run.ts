import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_VIDEO_FPS } from "../src/protocol/client-messages.js";
import { GeneratorPool, type GeneratorOutput } from "./generator-pool.js";
import { runningEngine, startEngineUnderTest, type EngineUnderTest } from "./engine-under-test.js";
import { checkLoadOptions, type LoadOptions } from "./load-options.js";
import { ProgressMeter } from "./load-progress.js";
import { mergeReports, type LoadResult } from "./load-report.js";
import { ManagementClient, type SessionTicket } from "./management-client.js";
import { MetricsScraper, scrapeEngine, type EngineSample } from "./metrics-scraper.js";
import { loadSpeechScript, type SpeechScript } from "./speech-script.js";
import { loadVideoFrame, type VideoFrame } from "./video-frame.js";
import { FACE_MODELS } from "./video-metrics.js";

export interface LoadRunHooks {
  /** A one-line status, about once a second while streaming. */
  progress?(line: string): void;
  /** Reuse one engine across runs (the capacity ramp); the run then neither starts nor stops one. */
  engine?: EngineUnderTest;
  script?: SpeechScript;
  /** The camera frame, made once for several runs (it must be of `videoFrame`'s kind). */
  videoFrame?: VideoFrame;
  /** What the generator processes print; passed on to this process's stdout / stderr unless given. */
  generatorOutput?: GeneratorOutput;
}

/** How long to wait for the engine's models before giving up (first start prepares Whisper). */
const MODELS_READY_TIMEOUT_MS = 180_000;
/**
 * Added to each camera's 1000 / fps ms between frames: the room's budget (fps a second, bursts of one second's worth)
 * refills by its own clock, and a frame that arrives early by a whole interval would be refused.
 */
const VIDEO_PACING_MARGIN_MS = 10;

/**
 * One load run: sessions and tokens through the management API, clients spread over generator processes, real
 * speech at real-time pace, the engine's `/metrics` scraped throughout. Every wait is bounded.
 */
export async function runLoad(input: LoadOptions, hooks: LoadRunHooks = {}): Promise<LoadResult> {
  const options = checkLoadOptions(input);
  const startedAt = new Date();
  const startedMs = performance.now();
  const loadAverageStart = loadavg()[0] ?? 0;
  const script = hooks.script ?? (await loadSpeechScript(options.audioPath));
  const frame = options.videoFps === 0 ? null : (hooks.videoFrame ?? (await loadVideoFrame(options.videoFrame)));
  const intervalMs = options.videoFps === 0 ? 0 : Math.ceil(1000 / options.videoFps) + VIDEO_PACING_MARGIN_MS;
  const engine =
    hooks.engine ??
    (options.url === null
      ? await startEngineUnderTest(options.sessions)
      : runningEngine(options.url, options.adminKey ?? "", options.metricsToken));
  const scratch = await mkdtemp(join(tmpdir(), "loadtest-"));
  const management = new ManagementClient(engine.httpUrl, engine.adminKey);
  const sessions: SessionTicket[] = [];
  let pool: GeneratorPool | null = null;
  const scraper = new MetricsScraper(engine.httpUrl, engine.metricsToken, options.scrapeEveryMs);
  try {
    const idle = await modelsReady(engine, frame !== null);
    const pcmPath = join(scratch, "speech.pcm");
    await writeFile(pcmPath, script.pcm16);
    const jpegPath = join(scratch, "frame.jpg");
    if (frame !== null) await writeFile(jpegPath, frame.jpeg);
    const maxDurationMs = options.durationMs + options.settleMs + 10 * 60_000;
    // The default rate needs no option (an API without `video_fps` takes the session as well).
    const sessionOptions = frame === null || options.videoFps === DEFAULT_VIDEO_FPS ? {} : { videoFps: options.videoFps };
    for (let i = 0; i < options.sessions; i++) sessions.push(await management.createSession(options.participants, maxDurationMs, sessionOptions));

    pool = GeneratorPool.start(
      options.workers,
      sessions,
      {
        engineUrl: engine.engineUrl,
        pcmPath,
        utterances: script.utterances,
        speakers: options.speakers,
        joinTimeoutMs: options.joinTimeoutMs,
        settleMs: options.settleMs,
        video: frame === null ? null : { jpegPath, fps: options.videoFps, intervalMs },
      },
      hooks.generatorOutput,
    );
    await pool.ready(options.joinTimeoutMs * Math.ceil((options.sessions * options.participants) / 8) + 30_000);

    scraper.start();
    const startAtMs = Date.now() + 500;
    const stopAtMs = startAtMs + options.durationMs;
    pool.go(startAtMs, stopAtMs);
    const progressPool = pool;
    const meter = new ProgressMeter(startAtMs);
    const ticker =
      hooks.progress === undefined || options.progressEveryMs <= 0
        ? null
        : setInterval(() => hooks.progress?.(meter.line(Date.now(), progressPool.progress(), scraper.latest)), options.progressEveryMs);
    let reports;
    try {
      reports = await pool.reports(options.durationMs + options.settleMs + 90_000);
    } finally {
      if (ticker !== null) clearInterval(ticker);
      scraper.stop();
    }
    // The cameras' last results came in after the last periodic scrape.
    if (frame !== null) await scraper.scrapeNow();
    const figures = scraper.figures(idle);
    return mergeReports(
      options,
      reports,
      {
        ...figures,
        memory_per_session_mb: Math.round(((figures.rss_mb_peak - figures.rss_mb_idle) / options.sessions) * 100) / 100,
        heap_per_session_mb: Math.round(((figures.heap_mb_peak - figures.heap_mb_idle) / options.sessions) * 100) / 100,
        metrics_scrape_failures: scraper.failures,
      },
      {
        startedAt,
        audio: script.source,
        audioDurationMs: script.durationMs,
        utterancesInAudio: script.utterances.length,
        engineLabel: options.url ?? "started by the run (npm start's entry point, fresh data folder)",
        elapsedMs: performance.now() - startedMs,
        streamMs: Math.max(1, stopAtMs - startAtMs),
        loadAverage: { start: loadAverageStart, end: loadavg()[0] ?? 0 },
      },
      frame === null
        ? null
        : { fps: options.videoFps, intervalMs, frame, idle, samples: scraper.samples, startAtMs, streamMs: Math.max(1, stopAtMs - startAtMs) },
    );
  } finally {
    scraper.stop();
    await pool?.close();
    // The run's sessions end with it, also on a shared engine.
    await Promise.allSettled(sessions.map((s) => management.endSession(s.sessionId)));
    if (hooks.engine === undefined) await engine.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Waits until the engine answers `/metrics` with its models loaded (the face models too for cameras); that scrape is the idle baseline. */
async function modelsReady(engine: EngineUnderTest, faces: boolean): Promise<EngineSample> {
  const deadline = Date.now() + MODELS_READY_TIMEOUT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const sample = await scrapeEngine(engine.httpUrl, engine.metricsToken);
      const faceModels = sample.video?.face_models_loaded ?? 0;
      if (sample.models_loaded >= 2 && (!faces || faceModels >= FACE_MODELS.length)) return sample;
      last = `${sample.models_loaded} model(s) loaded${faces ? `, ${faceModels} of ${FACE_MODELS.join(", ")}` : ""}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the engine's models were not ready in ${MODELS_READY_TIMEOUT_MS} ms (${last})`);
}
