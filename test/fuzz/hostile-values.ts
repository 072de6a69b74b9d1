import fc from "fast-check";

/**
 * Building blocks of hostile inputs (fast-check arbitraries, sampled with a seed by each surface's generator):
 * values MessagePack can carry that JSON cannot (BigInt, Map, typed arrays, undefined), numbers JSON mangles
 * (NaN, ±Infinity, -0), deep and wide values, odd prototypes' keys, and unicode Postgres or UTF-8 refuse.
 */

/** Strings that break naive handling: NUL, lone surrogates, RTL/zero-width marks, huge, path and SQL tricks. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    "\u0000",
    "a\u0000b",
    "\uD800",
    "\uDC00x",
    "\u202E\u200B\uFEFF",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "'; DROP TABLE sessions; --",
    "__proto__",
    "constructor",
    "%ED%A0%80",
    "\r\n\r\nX-Injected: 1",
    "😀".repeat(1_000),
  ),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 32 }),
  fc.nat({ max: 200_000 }).map((n) => "x".repeat(n)),
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, Number.MAX_SAFE_INTEGER + 2, 2 ** 53, -(2 ** 63), 1e308),
  fc.double(),
  fc.integer(),
);

export const hostileBigInt: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 0n),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
);

/** Values nested `depth` levels (arrays or objects): stack-deep recursion in a validator or serializer. */
export const deepValue: fc.Arbitrary<unknown> = fc.integer({ min: 50, max: 5_000 }).chain((depth) =>
  fc.constantFrom("array", "object").map((shape) => {
    let value: unknown = "leaf";
    for (let i = 0; i < depth; i += 1) value = shape === "array" ? [value] : { a: value };
    return value;
  }),
);

/** Wide values: many keys or elements. */
export const wideValue: fc.Arbitrary<unknown> = fc.integer({ min: 1_000, max: 100_000 }).chain((width) =>
  fc.constantFrom("array", "object", "string-array").map((shape) => {
    if (shape === "array") return Array.from({ length: width }, (_, i) => i);
    if (shape === "string-array") return Array.from({ length: Math.min(width, 20_000) }, () => "yyyyyyyy");
    return Object.fromEntries(Array.from({ length: Math.min(width, 20_000) }, (_, i) => [`k${i}`, i]));
  }),
);

/** Any value a hostile MessagePack sender can produce, JSON-unsafe ones included. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    hostileString,
    hostileNumber,
    hostileBigInt,
    fc.constantFrom(null, undefined, true, false),
    fc.uint8Array({ maxLength: 256 }),
    fc.float32Array({ maxLength: 16 }),
    fc.date({ noInvalidDate: false }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(hostileString, tie("value"), { maxKeys: 4 }),
    fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 }).map((pairs) => new Map(pairs)),
    fc.constantFrom({ __proto__: { polluted: true } }, { constructor: { prototype: { polluted: true } } }, JSON.parse('{"__proto__":{"polluted":true}}')),
    deepValue,
    wideValue,
  ),
})).value;

/**
 * Mutations of a valid object: each field given a hostile value, removed, or joined by extra fields; or the whole
 * value replaced. Generators start from a schema-valid example so most inputs reach the validator's deeper paths.
 */
export function mutationsOf(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const field = keys.length === 0 ? fc.constant("x") : fc.constantFrom(...keys);
  return fc.oneof(
    fc.tuple(field, hostileValue).map(([key, value]) => ({ ...valid, [key]: value })),
    field.map((key) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key))),
    fc.tuple(hostileString, hostileValue).map(([key, value]) => ({ ...valid, [key]: value })),
    hostileValue,
    fc.constant(valid),
  );
}

/** Raw bytes: random, truncated or oversized. */
export const garbageBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.integer({ min: 64 * 1024, max: 2 * 1024 * 1024 }).map((n) => new Uint8Array(n).fill(0xc1)),
);

/** Samples `count` values of `arbitrary` deterministically for `seed`. */
export function sampleSeeded<T>(arbitrary: fc.Arbitrary<T>, seed: number, count: number): T[] {
  return fc.sample(arbitrary, { seed, numRuns: count });
}
