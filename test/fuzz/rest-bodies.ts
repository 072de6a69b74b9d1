import { z } from "zod";
import { fromBase64 } from "./corpus.js";

/**
 * Request bodies of the REST corpus, stored as segments so that huge ones are described by their size rather than
 * stored: text (UTF-8), raw bytes (base64), a unit repeated `times`, or a template with `{i}` counted up (`"k{i}":{i}`
 * for an object of 20,000 keys). The replay streams them in chunks, never holding a large body whole.
 */
export const bodySegment = z.union([
  z.strictObject({ text: z.string() }),
  z.strictObject({ base64: z.string() }),
  z.strictObject({ repeat: z.string().min(1), times: z.number().int().min(1).max(200_000_000) }),
  z.strictObject({ counted: z.string().min(1), times: z.number().int().min(1).max(1_000_000), separator: z.string() }),
]);
export type BodySegment = z.infer<typeof bodySegment>;

/** Runs shorter than this stay text. */
const MIN_RUN_CHARS = 128;
/** Arrays and objects wider than this are looked at for a repeated or counted shape. */
const WIDE = 256;

/** Text split into runs of a repeated unit (1–8 chars) and the rest. */
export function compressText(text: string): BodySegment[] {
  if (text.length < MIN_RUN_CHARS) return text === "" ? [] : [{ text }];
  const out: BodySegment[] = [];
  let literalStart = 0;
  let i = 0;
  while (i < text.length) {
    let best = { unit: 0, times: 0 };
    for (let unit = 1; unit <= 8 && i + unit * 2 <= text.length; unit += 1) {
      const piece = text.slice(i, i + unit);
      let times = 1;
      while (text.startsWith(piece, i + times * unit)) times += 1;
      if (times * unit > best.times * best.unit) best = { unit, times };
    }
    if (best.unit * best.times >= MIN_RUN_CHARS) {
      if (literalStart < i) out.push({ text: text.slice(literalStart, i) });
      out.push({ repeat: text.slice(i, i + best.unit), times: best.times });
      i += best.unit * best.times;
      literalStart = i;
    } else {
      i += 1;
    }
  }
  if (literalStart < text.length) out.push({ text: text.slice(literalStart) });
  return out;
}

/** Merges neighbouring text segments and compresses the long ones. */
export function normalise(segments: readonly BodySegment[]): BodySegment[] {
  const merged: BodySegment[] = [];
  for (const segment of segments) {
    const last = merged[merged.length - 1];
    if ("text" in segment && last !== undefined && "text" in last) merged[merged.length - 1] = { text: last.text + segment.text };
    else merged.push(segment);
  }
  return merged.flatMap((segment) => ("text" in segment ? compressText(segment.text) : [segment]));
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value) && !(value instanceof Map) && !(value instanceof Date);
}

/** A Map key as an object key (a key without a prototype has no `toString`). */
function keyText(key: unknown): string {
  try {
    return String(key);
  } catch {
    return "[object]";
  }
}

/** Nesting deeper than this is written as repeated brackets (a recursive writer would run out of stack). */
const DEEP = 64;

/** `[[[x]]]` or `{"a":{"a":x}}`: how deep the single-child chain goes, its opening text and what it holds. */
function nesting(value: unknown): { depth: number; open: string; inner: unknown } {
  let depth = 0;
  let inner = value;
  if (Array.isArray(value)) {
    while (Array.isArray(inner) && inner.length === 1) {
      inner = inner[0];
      depth += 1;
    }
    return { depth, open: "[", inner };
  }
  if (isPlainRecord(value)) {
    for (;;) {
      if (!isPlainRecord(inner)) break;
      const keys = Object.keys(inner);
      if (keys.length !== 1 || keys[0] !== "a") break;
      inner = inner["a"];
      depth += 1;
    }
    return { depth, open: '{"a":', inner };
  }
  return { depth: 0, open: "", inner };
}

/**
 * JSON text of any hostile value, as segments: BigInt as its digits (a number JSON parsers round), NaN as `NaN`
 * (malformed on purpose), ±Infinity as `±1e999` (valid JSON that parses to Infinity), typed arrays and Maps as arrays
 * and objects, wide and counted shapes as repeat/counted segments.
 */
export function jsonSegments(value: unknown): BodySegment[] {
  const out: BodySegment[] = [];
  const text = (t: string): void => {
    out.push({ text: t });
  };
  const write = (v: unknown): void => {
    if (v === undefined || v === null || typeof v === "function" || typeof v === "symbol") return text("null");
    if (typeof v === "bigint") return text(v.toString());
    if (typeof v === "number") return text(Number.isNaN(v) ? "NaN" : v === Infinity ? "1e999" : v === -Infinity ? "-1e999" : Object.is(v, -0) ? "-0" : String(v));
    if (typeof v === "boolean") return text(String(v));
    if (typeof v === "string") return text(JSON.stringify(v));
    if (v instanceof Date) return text(JSON.stringify(v) ?? "null");
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return write(Array.from(v as unknown as ArrayLike<number | bigint>));
    if (v instanceof Map) return write(Object.fromEntries([...v.entries()].map(([k, x]) => [keyText(k), x])));
    const chain = nesting(v);
    if (chain.depth > DEEP) {
      out.push({ repeat: chain.open, times: chain.depth });
      write(chain.inner);
      out.push({ repeat: chain.open === "[" ? "]" : "}", times: chain.depth });
      return;
    }
    if (Array.isArray(v)) {
      if (v.length > WIDE && v.every((x, i) => x === i)) return void out.push({ text: "[" }, { counted: "{i}", times: v.length, separator: "," }, { text: "]" });
      if (v.length > WIDE && v.every((x) => x === v[0] && (typeof x !== "object" || x === null))) {
        text("[");
        const one = normalise(jsonSegments(v[0]));
        const unit = one.length === 1 && one[0] !== undefined && "text" in one[0] ? one[0].text : "null";
        out.push({ repeat: `${unit},`, times: v.length - 1 });
        text(`${unit}]`);
        return;
      }
      text("[");
      v.forEach((x, i) => {
        if (i > 0) text(",");
        write(x);
      });
      return text("]");
    }
    if (isPlainRecord(v)) {
      const keys = Object.keys(v);
      if (keys.length > WIDE && keys.every((k, i) => k === `k${i}` && v[k] === i)) {
        return void out.push({ text: "{" }, { counted: '"k{i}":{i}', times: keys.length, separator: "," }, { text: "}" });
      }
      text("{");
      let first = true;
      for (const key of keys) {
        if (v[key] === undefined) continue;
        if (!first) text(",");
        first = false;
        text(`${JSON.stringify(key)}:`);
        write(v[key]);
      }
      return text("}");
    }
    return text("null");
  };
  write(value);
  return normalise(out);
}

function countedText(template: string, index: number): string {
  return template.replaceAll("{i}", String(index));
}

/** Bytes the segments stand for (the declared Content-Length), computed without building them. */
export function bodyLength(segments: readonly BodySegment[]): number {
  let total = 0;
  for (const segment of segments) {
    if ("text" in segment) total += Buffer.byteLength(segment.text);
    else if ("base64" in segment) total += fromBase64(segment.base64).byteLength;
    else if ("repeat" in segment) total += Buffer.byteLength(segment.repeat) * segment.times;
    else for (let i = 0; i < segment.times; i += 1) total += Buffer.byteLength(countedText(segment.counted, i)) + (i > 0 ? Buffer.byteLength(segment.separator) : 0);
  }
  return total;
}

const CHUNK_BYTES = 64 * 1024;

/** The body, chunk by chunk (≤ ~64 KB each), built as the replay sends it. */
export function* bodyChunks(segments: readonly BodySegment[]): Generator<Uint8Array> {
  for (const segment of segments) {
    if ("text" in segment) yield Buffer.from(segment.text);
    else if ("base64" in segment) yield fromBase64(segment.base64);
    else if ("repeat" in segment) {
      const unit = Buffer.from(segment.repeat);
      const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / unit.byteLength));
      const full = Buffer.concat(new Array<Buffer>(Math.min(perChunk, segment.times)).fill(unit));
      let left = segment.times;
      while (left >= perChunk) {
        yield full;
        left -= perChunk;
      }
      if (left > 0) yield full.subarray(0, left * unit.byteLength);
    } else {
      let parts: string[] = [];
      for (let i = 0; i < segment.times; i += 1) {
        parts.push((i > 0 ? segment.separator : "") + countedText(segment.counted, i));
        if (parts.length === 2_000) {
          yield Buffer.from(parts.join(""));
          parts = [];
        }
      }
      if (parts.length > 0) yield Buffer.from(parts.join(""));
    }
  }
}
