/**
 * Prometheus text format (0.0.4) for series whose values another process keeps (the inference pool's counters and
 * histograms): prom-client cannot set a counter or a histogram's buckets to a value it did not count itself.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels: Labels;
  value: number;
}

/** One histogram series: per-bucket counts (not cumulative) with their upper bounds, and the sum of the values. */
export interface HistogramSeries {
  labels: Labels;
  buckets: readonly { le: number; count: number }[];
  sum: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function line(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([key, label]) => `${key}="${escapeLabel(label)}"`);
  return `${name}${pairs.length === 0 ? "" : `{${pairs.join(",")}}`} ${number(value)}`;
}

function header(name: string, help: string, type: "gauge" | "counter" | "histogram"): string[] {
  return [`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`];
}

export function renderFamily(name: string, help: string, type: "gauge" | "counter", samples: readonly Sample[]): string {
  return [...header(name, help, type), ...samples.map((s) => line(name, s.labels, s.value))].join("\n");
}

/** `divideBy` converts the series' unit to the exposed one (1000 for milliseconds → seconds). */
export function renderHistogram(name: string, help: string, series: readonly HistogramSeries[], divideBy = 1): string {
  const lines = header(name, help, "histogram");
  for (const { labels, buckets, sum } of series) {
    let cumulative = 0;
    for (const bucket of [...buckets].sort((a, b) => a.le - b.le)) {
      cumulative += bucket.count;
      if (bucket.le !== Number.POSITIVE_INFINITY) lines.push(line(`${name}_bucket`, { ...labels, le: number(bucket.le / divideBy) }, cumulative));
    }
    lines.push(line(`${name}_bucket`, { ...labels, le: "+Inf" }, cumulative));
    lines.push(line(`${name}_sum`, labels, sum / divideBy));
    lines.push(line(`${name}_count`, labels, cumulative));
  }
  return lines.join("\n");
}
