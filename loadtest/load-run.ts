import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GeneratorPool, type GeneratorOutput } from "./generator-pool.js";
import { runningEngine, startEngineUnderTest, type EngineUnderTest } from "./engine-under-test.js";
import { checkLoadOptions, type LoadOptions } from "./load-options.js";
import { ProgressMeter } from "./load-progress.js";
import { mergeReports, type LoadResult } from "./load-report.js";
import { ManagementClient, type SessionTicket } from "./management-client.js";
import { MetricsScraper, scrapeEngine, type EngineSample } from "./metrics-scraper.js";
import { loadSpeechScript, type SpeechScript } from "./speech-script.js";

export interface LoadRunHooks {
  /** A one-line status, about once a second while streaming. */
  progress?(line: string): void;
  /** Reuse one engine across runs (the capacity ramp); the run then neither starts nor stops one. */
  engine?: EngineUnderTest;
  script?: SpeechScript;
  /** What the generator processes print; passed on to this process's stdout / stderr unless given. */
  generatorOutput?: GeneratorOutput;
}

/** How long to wait for the engine's models before giving up (first start prepares Whisper). */
const MODELS_READY_TIMEOUT_MS = 180_000;

/**
 * One load run: sessions and tokens through the management API, clients spread over generator processes, real
 * speech at real-time pace, the engine's `/metrics` scraped throughout. Every wait is bounded.
 */
export async function runLoad(input: LoadOptions, hooks: LoadRunHooks = {}): Promise<LoadResult> {
  const options = checkLoadOptions(input);
  const startedAt = new Date();
  const startedMs = performance.now();
  const script = hooks.script ?? (await loadSpeechScript(options.audioPath));
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
    const idle = await modelsReady(engine);
    const pcmPath = join(scratch, "speech.pcm");
    await writeFile(pcmPath, script.pcm16);
    const maxDurationMs = options.durationMs + options.settleMs + 10 * 60_000;
    for (let i = 0; i < options.sessions; i++) sessions.push(await management.createSession(options.participants, maxDurationMs));

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
      },
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

/** Waits until the engine answers `/metrics` with its models loaded; that scrape is the idle baseline. */
async function modelsReady(engine: EngineUnderTest): Promise<EngineSample> {
  const deadline = Date.now() + MODELS_READY_TIMEOUT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const sample = await scrapeEngine(engine.httpUrl, engine.metricsToken);
      if (sample.models_loaded >= 2) return sample;
      last = `${sample.models_loaded} model(s) loaded`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the engine's models were not ready in ${MODELS_READY_TIMEOUT_MS} ms (${last})`);
}
