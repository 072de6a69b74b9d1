import { metricValue, parsePrometheus, type PromSample } from "../test/support/prometheus.js";
import { readVideoSample, type VideoSample } from "./video-metrics.js";

/** One scrape of the engine's `/metrics`, reduced to what a load run reports. */
export interface EngineSample {
  at_ms: number;
  cpu_seconds: number;
  rss_bytes: number;
  heap_bytes: number;
  vad_queue: number;
  asr_queue: number;
  vad_batches: number;
  vad_batch_items: number;
  asr_rejected: number;
  connected_clients: number;
  models_loaded: number;
  /** Running sums and counts of the engine's per-utterance stage latencies (seconds). */
  stages: Record<StageName, { sum: number; count: number }>;
  /** Camera counters and histograms (video-metrics.ts); every scrape has them, a hand-made sample may not. */
  video?: VideoSample;
}

const STAGE_NAMES = ["asr_queue_wait", "asr_run", "speech_end_to_transcript"] as const;
type StageName = (typeof STAGE_NAMES)[number];

export interface EngineLoadFigures {
  samples: number;
  /** Cores the engine process used (CPU seconds per second), mean and peak over 1-s windows. */
  cpu_cores_mean: number;
  cpu_cores_max: number;
  rss_mb_idle: number;
  rss_mb_peak: number;
  heap_mb_idle: number;
  heap_mb_peak: number;
  vad_queue_max: number;
  asr_queue_max: number;
  asr_queue_mean: number;
  vad_mean_batch: number;
  asr_rejected: number;
  /** Mean per utterance over the run, as the engine measured it: where the end-of-utterance latency goes. */
  stage_mean_ms: Record<StageName, number>;
}

function read(samples: readonly PromSample[], name: string, labels: Record<string, string> = {}): number {
  return metricValue(samples, name, labels) ?? 0;
}

export async function scrapeEngine(httpUrl: string, metricsToken: string | null): Promise<EngineSample> {
  const response = await fetch(`${httpUrl}/metrics`, {
    headers: metricsToken === null ? {} : { authorization: `Bearer ${metricsToken}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`GET /metrics → ${response.status}`);
  const s = parsePrometheus(await response.text());
  return {
    at_ms: Date.now(),
    cpu_seconds: read(s, "process_cpu_seconds_total"),
    rss_bytes: read(s, "process_resident_memory_bytes"),
    heap_bytes: read(s, "nodejs_heap_size_used_bytes"),
    vad_queue: read(s, "engine_inference_queue_depth", { queue: "vad" }),
    asr_queue: read(s, "engine_inference_queue_depth", { queue: "asr_live" }),
    vad_batches: read(s, "engine_inference_vad_batch_size_count"),
    vad_batch_items: read(s, "engine_inference_vad_batch_size_sum"),
    asr_rejected: read(s, "engine_inference_asr_rejected_total"),
    connected_clients: read(s, "engine_connected_clients"),
    models_loaded: read(s, "engine_inference_model_loaded"),
    stages: Object.fromEntries(
      STAGE_NAMES.map((stage) => [
        stage,
        { sum: read(s, "engine_stage_latency_seconds_sum", { stage }), count: read(s, "engine_stage_latency_seconds_count", { stage }) },
      ]),
    ) as EngineSample["stages"],
    video: readVideoSample(s),
  };
}

/** Scrapes every `everyMs` until stopped; a failed scrape is counted, not fatal (the engine may be saturated). */
export class MetricsScraper {
  readonly samples: EngineSample[] = [];
  failures = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly httpUrl: string,
    private readonly metricsToken: string | null,
    private readonly everyMs: number,
    /** Bounds memory on long runs: one sample a second for an hour. */
    private readonly maxSamples = 3_600,
  ) {}

  start(): void {
    const tick = () => {
      scrapeEngine(this.httpUrl, this.metricsToken)
        .then((sample) => {
          if (this.samples.length < this.maxSamples) this.samples.push(sample);
        })
        .catch(() => {
          this.failures += 1;
        })
        .finally(() => {
          if (this.#timer !== null) this.#timer = setTimeout(tick, this.everyMs);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** One more scrape now (after the run, so the last frames' results are counted); a failure is counted. */
  async scrapeNow(): Promise<void> {
    try {
      const sample = await scrapeEngine(this.httpUrl, this.metricsToken);
      if (this.samples.length < this.maxSamples) this.samples.push(sample);
    } catch {
      this.failures += 1;
    }
  }

  get latest(): EngineSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  figures(idle: EngineSample): EngineLoadFigures {
    const all = [idle, ...this.samples];
    const cores: number[] = [];
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1];
      const b = all[i];
      if (a === undefined || b === undefined || b.at_ms <= a.at_ms) continue;
      cores.push((b.cpu_seconds - a.cpu_seconds) / ((b.at_ms - a.at_ms) / 1000));
    }
    const last = this.latest ?? idle;
    const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    const max = (values: number[]) => values.reduce((m, v) => Math.max(m, v), 0);
    const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((n, v) => n + v, 0) / values.length);
    const batches = last.vad_batches - idle.vad_batches;
    const round2 = (v: number) => Math.round(v * 100) / 100;
    return {
      samples: this.samples.length,
      cpu_cores_mean: round2(mean(cores)),
      cpu_cores_max: round2(max(cores)),
      rss_mb_idle: mb(idle.rss_bytes),
      rss_mb_peak: mb(max(all.map((s) => s.rss_bytes))),
      heap_mb_idle: mb(idle.heap_bytes),
      heap_mb_peak: mb(max(all.map((s) => s.heap_bytes))),
      vad_queue_max: max(this.samples.map((s) => s.vad_queue)),
      asr_queue_max: max(this.samples.map((s) => s.asr_queue)),
      asr_queue_mean: round2(mean(this.samples.map((s) => s.asr_queue))),
      vad_mean_batch: batches <= 0 ? 0 : round2((last.vad_batch_items - idle.vad_batch_items) / batches),
      asr_rejected: last.asr_rejected - idle.asr_rejected,
      stage_mean_ms: Object.fromEntries(
        STAGE_NAMES.map((stage) => {
          const count = last.stages[stage].count - idle.stages[stage].count;
          return [stage, count <= 0 ? 0 : Math.round(((last.stages[stage].sum - idle.stages[stage].sum) / count) * 1000)];
        }),
      ) as EngineLoadFigures["stage_mean_ms"],
    };
  }
}
