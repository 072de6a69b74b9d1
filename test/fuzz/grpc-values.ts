import fc from "fast-check";
import { z } from "zod";
import { fromBase64, toBase64 } from "./corpus.js";
import { hostileString } from "./hostile-values.js";

/**
 * What the pool's StreamAudio and StreamVideo fuzz steps share: how bytes, strings and the call's authentication are
 * stored in the corpus, hostile ids and sequence numbers, and protobuf the message's decoder cannot read.
 */

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
export const UINT32_MAX = 2 ** 32 - 1;

/** Bytes stored exactly (base64) or, when large, as one byte repeated. */
export const bytesSpec = z.union([
  z.strictObject({ base64: z.string() }),
  z.strictObject({ fill: z.number().int().min(0).max(255), length: z.number().int().min(0).max(16 * 1024 * 1024) }),
]);
export type BytesSpec = z.infer<typeof bytesSpec>;

/** A string stored as is, or (when long) as a unit repeated. */
export const textSpec = z.union([z.string(), z.strictObject({ repeat: z.string().min(1).max(8), times: z.number().int().min(0).max(200_000) })]);
export type TextSpec = z.infer<typeof textSpec>;

/** How the call authenticates: the pool's token, none, or a wrong or malformed `authorization`. */
export const authSpec = z.enum(["token", "none", "wrong", "basic", "bearer_empty", "lowercase", "token_prefix", "joined"]);
export type AuthSpec = z.infer<typeof authSpec>;

export const exact = (bytes: Uint8Array): BytesSpec => ({ base64: toBase64(bytes) });

/** Every way of calling without the pool's token. */
export const wrongAuth = fc.constantFrom<AuthSpec>("none", "wrong", "basic", "bearer_empty", "lowercase", "token_prefix", "joined");

/** Short ids shared by the steps of an entry, so opens, chunks or frames and closes meet. */
const commonId = fc.constantFrom("s1", "s2", "s3");
/** Stream ids: mostly shared ones; odd characters, empty, at and over the 160-character bound. */
export const hostileId: fc.Arbitrary<TextSpec> = fc.oneof(
  { weight: 6, arbitrary: commonId },
  { weight: 2, arbitrary: hostileString.filter((s) => s.length <= 200) },
  { weight: 1, arbitrary: fc.constantFrom(128, 129, 160, 161, 1_000, 100_000).map((times) => ({ repeat: "i", times })) },
  { weight: 1, arbitrary: fc.constant("") },
);
/** Session and participant ids: mostly valid; odd characters, over the 128-character bound. */
export const otherId: fc.Arbitrary<TextSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("session-1", "participant-1") },
  { weight: 2, arbitrary: hostileString.filter((s) => s.length <= 200) },
  { weight: 1, arbitrary: fc.constantFrom(129, 10_000).map((times) => ({ repeat: "p", times })) },
);

/** A stream's sequence number: small (so they repeat and go back), 2^32, or the largest safe integer. */
export const seq = fc.oneof({ weight: 6, arbitrary: fc.nat({ max: 64 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 32, MAX_SAFE) });

/** Encodings no protobuf message decodes, or decodes as something unexpected. */
const CRAFTED = [
  [0x0f, 0xff, 0x01], // wire type 7
  [0x0b, 0x0c], // a group
  [0x0a, 0x80, 0x80, 0x80, 0x80, 0x01], // length 2^28 with nothing behind it
  [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // a 10-byte varint length
  [0x12, 0x02, 0x08], // field 2's message whose body is cut short
  [0x1a, 0x03, 0x0a, 0x05, 0x61], // close whose stream_id claims more than it has
  [0x00], // field 0
  [0x08, 0x96, 0x01], // field 1 as a varint instead of a message
].map((bytes) => Uint8Array.from(bytes));

/**
 * Bytes sent as a message of the call: random, crafted, `wellFormed` messages cut short anywhere, `extra` ones as they
 * are (the caller's own oddities), or 64 KiB – 2 MiB of one byte.
 */
export function rawMessages(wellFormed: readonly Uint8Array[], extra: readonly Uint8Array[] = []): fc.Arbitrary<BytesSpec> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 512 }).map(exact) },
    { weight: 3, arbitrary: fc.constantFrom(...CRAFTED, ...extra).map(exact) },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.constantFrom(...wellFormed), fc.nat()).map(([bytes, cut]) => exact(bytes.subarray(0, 1 + (cut % (bytes.byteLength - 1))))),
    },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 64 * 1024, max: 2 * 1024 * 1024 }), fc.nat({ max: 255 })).map(([length, fill]) => ({ fill, length })) },
  );
}

/** The steps StreamAudio and StreamVideo entries have alike. */
export type CommonStep = { op: "close"; stream_id: TextSpec } | { op: "empty" } | { op: "raw"; bytes: BytesSpec } | { op: "cancel" };

/** One hostile step of a media call: an open, its payload (a chunk, a frame), a close, nothing set, raw bytes, a cancel. */
export function mediaStep<S>(open: fc.Arbitrary<S>, payload: fc.Arbitrary<S>, raw: fc.Arbitrary<BytesSpec>, weights: { open: number; payload: number }): fc.Arbitrary<S | CommonStep> {
  const weighted = (weight: number, arbitrary: fc.Arbitrary<S | CommonStep>) => ({ weight, arbitrary });
  return fc.oneof(
    weighted(weights.open, open),
    weighted(weights.payload, payload),
    weighted(3, hostileId.map((stream_id): CommonStep => ({ op: "close", stream_id }))),
    weighted(1, fc.constant<CommonStep>({ op: "empty" })),
    weighted(2, raw.map((bytes): CommonStep => ({ op: "raw", bytes }))),
    weighted(1, fc.constant<CommonStep>({ op: "cancel" })),
  );
}

export function bytesOf(spec: BytesSpec): Uint8Array {
  return "base64" in spec ? fromBase64(spec.base64) : new Uint8Array(spec.length).fill(spec.fill);
}

export function textOf(spec: TextSpec): string {
  return typeof spec === "string" ? spec : spec.repeat.repeat(spec.times);
}
