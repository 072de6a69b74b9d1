import { describe, expect, it } from "vitest";
import { renderFamily, renderHistogram } from "../../src/metrics/exposition.js";

describe("Prometheus text of pool-kept series", () => {
  it("renders a histogram from per-bucket counts: cumulative buckets, +Inf, sum and count, in the exposed unit", () => {
    const text = renderHistogram(
      "x_seconds",
      "help",
      [{ labels: { pool: "0" }, buckets: [{ le: 5, count: 1 }, { le: 1, count: 2 }, { le: Number.POSITIVE_INFINITY, count: 3 }], sum: 20_000 }],
      1000,
    );
    expect(text.split("\n")).toEqual([
      "# HELP x_seconds help",
      "# TYPE x_seconds histogram",
      'x_seconds_bucket{pool="0",le="0.001"} 2',
      'x_seconds_bucket{pool="0",le="0.005"} 3',
      'x_seconds_bucket{pool="0",le="+Inf"} 6',
      'x_seconds_sum{pool="0"} 20',
      'x_seconds_count{pool="0"} 6',
    ]);
  });

  it("escapes label values and help text", () => {
    expect(renderFamily("y", "a\\b\nc", "gauge", [{ labels: { name: 'q"\\\n' }, value: 1 }])).toBe(
      '# HELP y a\\\\b\\nc\n# TYPE y gauge\ny{name="q\\"\\\\\\n"} 1',
    );
  });
});
