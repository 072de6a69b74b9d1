import { Protocol } from "@colyseus/core";
import { encode } from "@colyseus/schema";
import fc from "fast-check";
import { pack } from "msgpackr";
import { MAX_FRAME_BYTES } from "../../src/protocol/client-messages.js";
import { toBase64, type FuzzSurface } from "./corpus.js";
import { socketFuzzEntry, type FrameSpec, type SocketFuzzEntry } from "./frames.js";
import { garbageBytes, hostileString, sampleSeeded } from "./hostile-values.js";

/**
 * Raw WebSocket frames, without the SDK: garbage, every protocol code with random bodies, truncated Colyseus frames,
 * text frames, oversized frames, frames before the join acknowledgement, and connections without a seat.
 */

const PROTOCOL_CODES: number[] = Object.values(Protocol as Record<string, unknown>).filter((value): value is number => typeof value === "number");

function typed(code: number, type: string): Uint8Array {
  const buffer = new Uint8Array(8 + Buffer.byteLength(type) * 3);
  buffer[0] = code;
  const it = { offset: 1 };
  encode.string(buffer, type, it);
  return buffer.subarray(0, it.offset);
}

/** Well-formed frames the truncations start from. */
const WELL_FORMED: Uint8Array[] = [
  Buffer.concat([typed(Protocol.ROOM_DATA, "text"), pack({ content: "hello" })]),
  Buffer.concat([typed(Protocol.ROOM_DATA, "signal"), pack({ to: "host", type: "offer", sdp: "v=0" })]),
  Buffer.concat([typed(Protocol.ROOM_DATA_BYTES, "audio"), new Uint8Array(640)]),
  Buffer.concat([Uint8Array.of(Protocol.ROOM_REQUEST, 7), typed(0, "text").subarray(1), pack({ content: "hi" })]),
];

/** Every byte of the string's UTF-8 as %XX (encodeURIComponent throws on lone surrogates). */
export const percentEncoded = (text: string): string => [...Buffer.from(text, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");

const exact = (bytes: Uint8Array): FrameSpec =>
  bytes.byteLength <= 16 * 1024 ? { base64: toBase64(bytes) } : { prefix: toBase64(bytes.subarray(0, 64)), fill: bytes[64] ?? 0, length: bytes.byteLength };

const role = fc.constantFrom<SocketFuzzEntry["role"]>("observer", "participant");
const stage = fc.constantFrom<SocketFuzzEntry["stage"]>("joined", "joined", "joined", "before_ack");

const garbage = garbageBytes.map(exact);
const codeWithBody = fc.tuple(fc.constantFrom(...PROTOCOL_CODES, 0, 255, 0x80 | Protocol.ROOM_DATA), fc.uint8Array({ maxLength: 64 })).map(([code, body]) => exact(Uint8Array.from([code, ...body])));
const truncated = fc.tuple(fc.constantFrom(...WELL_FORMED), fc.nat()).map(([frame, cut]) => exact(frame.subarray(0, cut % frame.byteLength)));
const badMsgpack = fc.tuple(fc.constantFrom("text", "signal"), fc.constantFrom(0xc1, 0xdd, 0xdf, 0xc7, 0xd9, 0xdb)).map(([type, byte]) =>
  exact(Buffer.concat([typed(Protocol.ROOM_DATA, type), Uint8Array.of(byte, 0xff, 0xff, 0xff, 0xff)])),
);
const textFrame = hostileString.map((text): FrameSpec => ({ text: text.slice(0, 4_096) }));
const oversized = fc.constantFrom(MAX_FRAME_BYTES + 1, 2 * MAX_FRAME_BYTES, 6 * MAX_FRAME_BYTES).map((length): FrameSpec => ({ prefix: toBase64(typed(Protocol.ROOM_DATA_BYTES, "audio")), fill: 0, length }));
const control = fc.constantFrom(Protocol.JOIN_ROOM, Protocol.LEAVE_ROOM, Protocol.PING, Protocol.ROOM_STATE).map((code) => exact(Uint8Array.of(code)));
const empty = fc.constant<FrameSpec>({ base64: "" });

const frame: fc.Arbitrary<FrameSpec> = fc.oneof(
  { weight: 4, arbitrary: garbage },
  { weight: 4, arbitrary: codeWithBody },
  { weight: 4, arbitrary: truncated },
  { weight: 2, arbitrary: badMsgpack },
  { weight: 2, arbitrary: textFrame },
  { weight: 1, arbitrary: oversized },
  { weight: 2, arbitrary: control },
  { weight: 1, arbitrary: empty },
);

type Draft = Omit<SocketFuzzEntry, "id">;

const framesOnASeat: fc.Arbitrary<Draft> = fc.tuple(fc.array(frame, { minLength: 1, maxLength: 6 }), role, stage).map(([frames, who, when]) => ({
  note: "raw frames",
  role: who,
  stage: when,
  frames,
}));

/** Connections the transport must refuse: no seat, a made-up one, hostile paths and queries. */
const noSeat: fc.Arbitrary<Draft> = fc
  .tuple(
    fc.oneof(
      fc.constant("/"),
      fc.constant("/matchmake/joinById/x"),
      hostileString.map((s) => `/${percentEncoded(s.slice(0, 200))}`),
      fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), hostileString).map(([process, room, session]) =>
        `/${percentEncoded(process)}/${percentEncoded(room)}?sessionId=${percentEncoded(session.slice(0, 200))}`,
      ),
      fc.constant("/%ED%A0%80/%00?sessionId=%ZZ"),
    ),
    fc.array(frame, { maxLength: 2 }),
  )
  .map(([path, frames]) => ({ note: "no seat", role: "observer" as const, stage: "joined" as const, path, frames }));

const draft = fc.oneof({ weight: 5, arbitrary: framesOnASeat }, { weight: 1, arbitrary: noSeat });

export const websocketSurface: FuzzSurface<SocketFuzzEntry> = {
  name: "websocket",
  entry: socketFuzzEntry,
  generate(seed, count) {
    return sampleSeeded(draft, seed, count).map((entry, index) => ({ id: `ws-${index}`, ...entry }));
  },
};
