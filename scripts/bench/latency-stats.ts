import { monitorEventLoopDelay } from "node:perf_hooks";

export interface LatencySummary {
  count: number;
  mean_ms: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Fixed-capacity sample store (a bench loop is bounded in count, so its samples are too). */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private size = 0;
  private dropped = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(Math.max(1, capacity));
  }

  get count(): number {
    return this.size;
  }

  record(valueMs: number): void {
    if (this.size < this.samples.length) {
      this.samples[this.size] = valueMs;
      this.size += 1;
    } else {
      this.dropped += 1;
    }
  }

  /** Samples past capacity (none when the capacity matches the loop's bound). */
  get droppedCount(): number {
    return this.dropped;
  }

  summary(): LatencySummary {
    return summarize(this.samples.subarray(0, this.size));
  }
}

/** Nearest-rank percentiles over a copy of the samples. */
export function summarize(values: Float64Array | number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const count = sorted.length;
  if (count === 0) return { count: 0, mean_ms: 0, p50_ms: 0, p95_ms: 0, p99_ms: 0, max_ms: 0 };
  let sum = 0;
  for (const value of sorted) sum += value;
  const rank = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1))] ?? 0;
  return {
    count,
    mean_ms: round(sum / count),
    p50_ms: round(rank(50)),
    p95_ms: round(rank(95)),
    p99_ms: round(rank(99)),
    max_ms: round(sorted[count - 1] ?? 0),
  };
}

export interface EventLoopDelaySummary {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

const EVENT_LOOP_SAMPLE_MS = 5;

/**
 * How long the JS thread was unavailable during a pass. onnxruntime-node's `session.run` blocks that thread for the
 * whole run, so a long model run shows up here as delay for gRPC I/O, timers and every other stream.
 */
export function startEventLoopMonitor(): () => EventLoopDelaySummary {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
  histogram.enable();
  return () => {
    histogram.disable();
    // The histogram holds whole sampling intervals; the delay is what exceeds the interval.
    const nsToMs = (ns: number) => round(Math.max(0, ns / 1e6 - EVENT_LOOP_SAMPLE_MS));
    return {
      p50_ms: nsToMs(histogram.percentile(50)),
      p99_ms: nsToMs(histogram.percentile(99)),
      max_ms: nsToMs(histogram.max),
    };
  };
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : round((count * 1000) / elapsedMs, 1);
}

export function ratio(numerator: number, denominator: number): number {
  return denominator <= 0 ? 0 : round(numerator / denominator, 3);
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
