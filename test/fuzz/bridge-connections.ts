import fc from "fast-check";
import type { BridgeConnect, BridgeFrame } from "./bridge-entry.js";
import type { Draft } from "./bridge-messages.js";
import { maskedFrame } from "./bridge-sockets.js";
import { toBase64 } from "./corpus.js";
import { hostileString } from "./hostile-values.js";
import { percentEncoded } from "./websocket-surface.js";

/**
 * Connection-level inputs of the bridge surface: paths beside the bridge's two (`/ws/x/`, `/ws//`, `/ws/`), odd
 * encodings of the session id, query tricks, every kind of bad token (missing, garbage, expired, another session's,
 * a meeting's, signed with another secret, claims the engine would never issue), request targets a WebSocket client
 * would normalise (sent byte for byte), and frames that break RFC 6455 on an accepted connection.
 */

/** A message the bridge answers synchronously (`unknown_message_type`): its answer shows the socket was read. */
const PROBE: BridgeFrame = { text: '{"type":"dance"}' };
/** 0.1 s of headerless PCM: from a seat that may not speak (an observer), the room refuses each 100 ms it is sent as. */
const RECORDING: BridgeFrame = { text: '{"type":"audio","data":"@AUDIO@"}', audio: { bytes: { prefix: "", fill: 0, length: 3_200 }, form: "standard" } };
const probeFrames = fc.constantFrom<BridgeFrame[]>([], [PROBE], [PROBE, { text: '{"type":"text","content":"hello"}' }], [PROBE, RECORDING]);

const draft = (note: string, connect: BridgeConnect, frames: BridgeFrame[]): Draft => ({ note, connect, frames, repeat: 1, awaits: "handling" });
const good = (target: string, raw = false): BridgeConnect => ({ session: "tutoring", token: "student", target, raw });

const PATHS = [
  "/ws/{session}",
  "/ws/ws/{session}",
  "/ws/{session_pct}",
  "/ws/ws/{session_pct}",
  "/ws/{session}/",
  "/ws//{session}",
  "/ws/ws/ws/{session}",
  "/WS/{session}",
  "/ws/{session}%2F",
  "/ws/{session}%00",
  "/ws/{session}%20",
  "/ws/%20{session}",
  "/ws/{session};v=1",
  "/ws/{session}/x",
  "/ws/",
  "/ws//",
  "/ws",
  "/ws/ws/",
  "/ws/x",
  "/ws/ws/x",
  "/ws/%ZZ",
  "/ws/%ED%A0%80",
  "/ws/%00",
  "/ws/%2e%2e",
  "/ws/..",
  "/ws/.",
];
const path = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...PATHS) },
      { weight: 1, arbitrary: hostileString.map((s) => `/ws/${percentEncoded(s.slice(0, 300))}`) },
    ),
    probeFrames,
  )
  .map(([p, frames]) => draft("path", good(`${p}?token={token}`), frames));

const QUERIES = [
  "?token={token}&token=not-a-token",
  "?token=not-a-token&token={token}",
  "?TOKEN={token}",
  "?Token={token}",
  "?token=",
  "?token",
  "?x=1&token={token}",
  "?token={token}&",
  "?&&token={token}",
  "??token={token}",
  "?token={token}%00",
  "?token=%20{token}",
  "?token={token}{token}",
  "?token[]={token}",
  "?token={token};x=1",
  "?token=Bearer%20{token}",
  "?token=%ZZ",
  "?access_token={token}",
  "?sessionId=x&token={token}",
  "?token={token}&token={token}",
  "",
  "?",
];
const query = fc
  .tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...QUERIES) }, { weight: 1, arbitrary: hostileString.map((s) => `?token=${percentEncoded(s.slice(0, 2_000))}`) }), probeFrames)
  .map(([q, frames]) => draft("query", good(`/ws/{session}${q}`), frames));

const TOKEN_TEXTS = [
  "not-a-token",
  "null",
  "undefined",
  "a.b.c",
  // alg "none" with this engine's claim names: never accepted.
  `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from('{"sid":"x","sub":"s","kind":"tutoring","role":"student","name":"S","exp":9999999999}').toString("base64url")}.`,
  "eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
  "x".repeat(8_192),
  "x".repeat(20_000),
];

/** Student ids that server's clients may send (`POST /v1/sessions`): the API's id pattern allows every one of them. */
const HOSTILE_STUDENT_IDS = ["__proto__", "constructor", "toString", "hasOwnProperty", "..", "a:b@c.d", "-", "x".repeat(128)];

type Claims = NonNullable<BridgeConnect["claims"]>;
const minted = (claims: Partial<Claims>): Claims => ({ sid: "{session}", sub: "fuzz-minted", kind: "tutoring", role: "observer", name: "Fuzz", ...claims });

const tokenKinds = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<Omit<BridgeConnect, "raw">>(
    { session: "tutoring", token: "student", target: "/ws/{session}" },
    { session: "tutoring", token: "expired", target: "/ws/{session}?token={token}" },
    { session: "tutoring", token: "other_session", target: "/ws/{session}?token={token}" },
    { session: "tutoring", token: "forged", target: "/ws/{session}?token={token}" },
    { session: "tutoring", token: "observer", target: "/ws/{session}?token={token}" },
    { session: "tutoring", token: "tutor", target: "/ws/{session}?token={token}" },
    { session: "meeting", token: "student", target: "/ws/{session}?token={token}" },
    { session: "ended", token: "student", target: "/ws/{session}?token={token}" },
    { session: "tutoring", token: "minted", target: "/ws/{session}?token={token}", claims: minted({ kind: "meeting", role: "host" }) },
    { session: "tutoring", token: "minted", target: "/ws/{session}?token={token}", claims: minted({ role: "host" }) },
    { session: "tutoring", token: "minted", target: "/ws/{session}?token={token}", claims: minted({ kind: "lecture" }) },
    { session: "tutoring", token: "minted", target: "/ws/{session}?token={token}", claims: minted({ name: "\u0000" }) },
    { session: "none", token: "minted", target: "/ws/no-such-session?token={token}", claims: minted({ sid: "no-such-session", role: "student" }) },
    { session: "fresh", token: "minted", target: "/ws/{session}?token={token}", claims: minted({ role: "student", sub: "another-student" }) },
  ) },
  { weight: 1, arbitrary: fc.constantFrom(...TOKEN_TEXTS).map((tokenText): Omit<BridgeConnect, "raw"> => ({ session: "tutoring", token: "text", tokenText, target: "/ws/{session}?token={token}" })) },
  { weight: 1, arbitrary: hostileString.map((s): Omit<BridgeConnect, "raw"> => ({ session: "tutoring", token: "text", tokenText: s.slice(0, 4_000), target: "/ws/{session}?token={token}" })) },
  // Student ids such as Object.prototype names, each on a session of its own.
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STUDENT_IDS).map((studentId): Omit<BridgeConnect, "raw"> => ({ session: "fresh", studentId, token: "student", target: "/ws/{session}?token={token}" })) },
);
const token = fc.tuple(tokenKinds, probeFrames).map(([connect, frames]) => draft("token", { ...connect, raw: false }, frames));

/** Request targets sent byte for byte: a fragment, dot segments, backslashes, absolute form, spaces, NUL, huge. */
const RAW_TARGETS = [
  "/ws/{session}?token={token}",
  "/ws/{session}?token={token}#frag",
  "/ws/{session}#?token={token}",
  "/ws/../ws/{session}?token={token}",
  "/ws/./{session}?token={token}",
  "/ws/%2e%2e/ws/{session}?token={token}",
  "/ws\\{session}?token={token}",
  "\\ws\\{session}?token={token}",
  "http://127.0.0.1/ws/{session}?token={token}",
  "//ws/{session}?token={token}",
  "*",
  "/ws/{session} ?token={token}",
  "/ws/{session}?token={token}\u0000",
  "/ws/{session}?token={token}\u00ff",
  `/ws/{session}?token={token}&pad=${"p".repeat(12_000)}`,
  `/ws/${"s".repeat(70_000)}?token={token}`,
];
const rawTarget = fc.tuple(fc.constantFrom(...RAW_TARGETS), probeFrames).map(([target, frames]) => draft("raw target", good(target, true), frames));

const wire = (bytes: Uint8Array): BridgeFrame => ({ wire: toBase64(bytes) });
const MASK = Uint8Array.of(0x5e, 0xa1, 0x0c, 0x77);
const masked = (opcode: number, payload: Uint8Array) => maskedFrame(opcode, payload, MASK);
const unmasked = (opcode: number, payload: string) => Buffer.concat([Uint8Array.of(0x80 | opcode, payload.length), Buffer.from(payload)]);
/** Frames no WebSocket client writes: each must close the socket (1002 and friends), never reach the bridge's handler. */
const BAD_FRAMES: BridgeFrame[] = [
  wire(unmasked(1, '{"type":"text","content":"hi"}')),
  wire(Uint8Array.from([0xc1, ...masked(1, Buffer.from('{"type":"dance"}')).subarray(1)])),
  wire(masked(3, Buffer.from("reserved opcode"))),
  wire(masked(0, Buffer.from("continuation first"))),
  wire(Uint8Array.from([0x09, ...masked(9, Buffer.from("fragmented ping")).subarray(1)])),
  wire(masked(9, new Uint8Array(126))),
  wire(masked(8, Uint8Array.of(0x03))),
  wire(masked(8, Uint8Array.of(0x03, 0xe7))),
  wire(Uint8Array.of(0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4)),
  wire(Uint8Array.from([0x01, ...masked(1, Buffer.from('{"type":')).subarray(1), ...masked(1, Buffer.from('"dance"}'))])),
];
const badFrame = fc.tuple(fc.constantFrom(...BAD_FRAMES), fc.boolean()).map(([frame, probeFirst]) => draft("frame breaking RFC 6455", good("/ws/{session}?token={token}", true), probeFirst ? [PROBE, frame] : [frame]));

export const connectionDraft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 5, arbitrary: path },
  { weight: 4, arbitrary: query },
  { weight: 8, arbitrary: token },
  { weight: 3, arbitrary: rawTarget },
  { weight: 2, arbitrary: badFrame },
);
