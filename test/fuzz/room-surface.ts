import { Protocol } from "@colyseus/core";
import { encode } from "@colyseus/schema";
import fc from "fast-check";
import { Packr } from "msgpackr";
import { MAX_CONTROL_MESSAGE_BYTES, MAX_FRAME_BYTES, MAX_TEXT_CHARS } from "../../src/protocol/client-messages.js";
import { toBase64, type FuzzSurface } from "./corpus.js";
import { socketFuzzEntry, type FrameSpec, type SocketFuzzEntry } from "./frames.js";
import { hostileString, hostileValue, mutationsOf, sampleSeeded } from "./hostile-values.js";

/**
 * Room messages of every type, as the SDK frames them (ROOM_DATA with a MessagePack payload, ROOM_DATA_BYTES,
 * ROOM_REQUEST), their payloads derived from the wire protocol's valid examples by fast-check mutations.
 */

/** Schema-valid examples of each client message: the mutations start from these. */
const VALID = {
  signal: { to: "host", type: "offer", sdp: "v=0" },
  ice: { to: "host", type: "ice_candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0 } },
  text: { content: "hello" },
} as const;

/** Stored frames above this are kept as recipes (see frames.ts). */
const MAX_STORED_FRAME_BYTES = 16 * 1024;

const structured = new Packr({ structuredClone: true, useRecords: false });

function header(code: number, type: string | number, requestId?: number): Uint8Array {
  const buffer = new Uint8Array(32 + Buffer.byteLength(String(type)) * 3);
  buffer[0] = code;
  const it = { offset: 1 };
  if (requestId !== undefined) encode.number(buffer, requestId, it);
  if (typeof type === "string") encode.string(buffer, type, it);
  else encode.number(buffer, type, it);
  return buffer.subarray(0, it.offset);
}

/** MessagePack of `value`, or of nested arrays when the packer itself cannot recurse that deep. */
function packed(value: unknown): Uint8Array {
  try {
    return structured.pack(value);
  } catch {
    return Uint8Array.of(0x91, 0x91, 0x91, 0xc0);
  }
}

function stored(bytes: Uint8Array): FrameSpec {
  if (bytes.byteLength <= MAX_STORED_FRAME_BYTES) return { base64: toBase64(bytes) };
  // Large frames: the header and the start of the payload kept, the rest one repeated byte.
  return { prefix: toBase64(bytes.subarray(0, 256)), fill: bytes[bytes.byteLength - 1] ?? 0, length: bytes.byteLength };
}

const role = fc.constantFrom<SocketFuzzEntry["role"]>("observer", "participant");
const messageType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<string | number>("signal", "text", "audio", "video") },
  { weight: 2, arbitrary: hostileString.map((s) => s.slice(0, 300)) },
  { weight: 1, arbitrary: fc.integer({ min: -1_000, max: 1_000_000 }) },
);

type Draft = Omit<SocketFuzzEntry, "id">;

const jsonMessage: fc.Arbitrary<Draft> = fc
  .tuple(fc.constantFrom("signal", "ice", "text"), role)
  .chain(([kind, who]) =>
    mutationsOf(VALID[kind as keyof typeof VALID]).map((payload) => ({
      note: `${kind === "ice" ? "signal" : kind} mutation`,
      role: who,
      stage: "joined" as const,
      frames: [stored(Buffer.concat([header(Protocol.ROOM_DATA, kind === "ice" ? "signal" : kind), packed(payload)]))],
    })),
  );

const anyTypeMessage: fc.Arbitrary<Draft> = fc.tuple(messageType, hostileValue, role).map(([type, payload, who]) => ({
  note: "hostile type and payload",
  role: who,
  stage: "joined",
  frames: [stored(Buffer.concat([header(Protocol.ROOM_DATA, type), packed(payload)]))],
}));

const requestMessage: fc.Arbitrary<Draft> = fc
  .tuple(fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom("signal", "text", "nope"), hostileValue, role)
  .map(([requestId, type, payload, who]) => ({
    note: "request/response form",
    role: who,
    stage: "joined",
    frames: [stored(Buffer.concat([header(Protocol.ROOM_REQUEST, type, requestId), packed(payload)]))],
  }));

/** Audio frames: valid lengths, odd ones, empty, huge, and from observers. */
const audioMessage: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.oneof(fc.constantFrom(0, 1, 160, 320, 639, 640, 641, 3_200, 6_400, 64 * 1024, 64 * 1024 + 2), fc.nat({ max: 200_000 })),
    fc.integer({ min: 0, max: 255 }),
    role,
    fc.constantFrom<string | number>("audio", "audio ", "Audio", 0),
  )
  .map(([length, fill, who, type]) => ({
    note: "binary audio",
    role: who,
    stage: "joined",
    frames: [stored(Buffer.concat([header(Protocol.ROOM_DATA_BYTES, type), new Uint8Array(length).fill(fill)]))],
  }));

/**
 * Camera frames: not JPEG, a JPEG start marker over garbage (the pool's header check answers it), empty, over 256 KB,
 * misnamed types, and from observers.
 */
const videoMessage: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.oneof(fc.constantFrom(0, 1, 2, 4, 600, 256 * 1024, 256 * 1024 + 1, 400_000), fc.nat({ max: 300_000 })),
    fc.constantFrom<number[]>([], [0xff, 0xd8], [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], [0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff]),
    fc.integer({ min: 0, max: 255 }),
    role,
    fc.constantFrom<string | number>("video", "video", "Video", "video\u0000"),
  )
  .map(([length, start, fill, who, type]) => {
    const body = new Uint8Array(Math.max(length, start.length)).fill(fill);
    body.set(start);
    return { note: "binary video", role: who, stage: "joined" as const, frames: [stored(Buffer.concat([header(Protocol.ROOM_DATA_BYTES, type), body]))] };
  });

/** Bounds: a text at, just over and far over its limits; a frame over the transport's limit; deep nesting. */
const limitMessage: fc.Arbitrary<Draft> = fc
  .constantFrom(
    { note: "text at its character limit", value: { content: "x".repeat(MAX_TEXT_CHARS) } },
    { note: "text over its character limit", value: { content: "x".repeat(MAX_TEXT_CHARS + 1) } },
    { note: "signal sdp over the message limit", value: { to: "host", type: "offer", sdp: "s".repeat(MAX_CONTROL_MESSAGE_BYTES + 10) } },
    { note: "frame over the transport limit", value: { to: "host", type: "offer", sdp: "s".repeat(MAX_FRAME_BYTES + 10) } },
    { note: "nesting 1,000 deep", value: null },
  )
  .chain((limit) =>
    role.map((who) => {
      const payload = limit.value === null ? Uint8Array.from([...new Array<number>(1_000).fill(0x91), 0xc0]) : packed(limit.value);
      const type = limit.value !== null && "content" in limit.value ? "text" : "signal";
      return { note: limit.note, role: who, stage: "joined" as const, frames: [stored(Buffer.concat([header(Protocol.ROOM_DATA, type), payload]))] };
    }),
  );

const draft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 8, arbitrary: jsonMessage },
  { weight: 3, arbitrary: anyTypeMessage },
  { weight: 2, arbitrary: requestMessage },
  { weight: 4, arbitrary: audioMessage },
  { weight: 3, arbitrary: videoMessage },
  { weight: 1, arbitrary: limitMessage },
);

export const roomSurface: FuzzSurface<SocketFuzzEntry> = {
  name: "room",
  entry: socketFuzzEntry,
  generate(seed, count) {
    return sampleSeeded(draft, seed, count).map((entry, index) => ({ id: `room-${index}`, ...entry }));
  },
};
