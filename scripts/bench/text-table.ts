/** Plain-text tables for the bench reports. */

export type Cell = string | number | null;

/** Plain-text table: numbers right-aligned, text left-aligned. */
export function formatTable(headers: string[], rows: Cell[][]): string {
  const text = (cell: Cell) => (cell === null ? "—" : typeof cell === "number" ? formatNumber(cell) : cell);
  const cells = rows.map((row) => row.map(text));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => (row[i] ?? "").length)));
  const numeric = headers.map((_, i) => rows.every((row) => typeof row[i] !== "string"));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function verdict(pass: boolean | null): string {
  return pass === null ? "n/a" : pass ? "PASS" : "FAIL";
}

/** Spread of the repetitions around the reported median, as ±% of it ("—" for a single repetition). */
export function spread(entry: { repetitions: number[] }, median: number): string {
  if (entry.repetitions.length < 2 || median <= 0) return "—";
  const half = (Math.max(...entry.repetitions) - Math.min(...entry.repetitions)) / 2;
  return `±${Math.round((100 * half) / median)}%`;
}
