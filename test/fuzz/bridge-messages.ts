import fc from "fast-check";
import { MAX_TEXT_CHARS } from "../../src/protocol/client-messages.js";
import { BRIDGE_MAX_AUDIO_BYTES, BRIDGE_MAX_FRAME_BYTES } from "../../src/protocol/tutor-bridge-messages.js";
import type { AudioRecipe, BridgeFrame, BridgeFuzzEntry } from "./bridge-entry.js";
import { BASE64_FORMS } from "./bridge-entry.js";
import { hostileJson } from "./bridge-json.js";
import { toBase64 } from "./corpus.js";
import { garbageBytes, hostileString, hostileValue, mutationsOf } from "./hostile-values.js";
import { HOSTILE_WAVS, type WavHeader } from "./rest-routes.js";

/**
 * Message-level inputs of the bridge surface, each on a good connection (the live tutoring session's student):
 * not JSON, JSON that is not an object, odd `type`s, `text` with content of every type and size, `audio` whose data
 * is not base64 or not audio (images, text, odd-length PCM), WAV files with hostile headers or over the limits,
 * binary and non-UTF-8 frames, deep nesting, huge strings, the extra fields that server's clients send, floods, and
 * clients that hang up at once.
 */

export type Draft = Omit<BridgeFuzzEntry, "id">;

const GOOD_CONNECTION: Draft["connect"] = { session: "tutoring", token: "student", target: "/ws/{session}?token={token}", raw: false };

export const onGoodConnection = (note: string, frames: BridgeFrame[], extra: Partial<Draft> = {}): Draft => ({
  note,
  connect: GOOD_CONNECTION,
  frames,
  repeat: 1,
  awaits: "handling",
  ...extra,
});

/** A student's one text message: the room answers it, so the replay waits for that answer. */
const studentText = (note: string, frame: BridgeFrame): Draft => onGoodConnection(note, [frame], { awaits: "room" });

const json = (value: unknown): string => hostileJson(value) ?? "null";
const short = hostileString.map((s) => s.slice(0, 2_000));
/** A hostile value small enough to keep in the corpus as written. */
const storableValue = hostileValue.map((value) => hostileJson(value)).filter((text): text is string => text !== null);

const notJson = fc.oneof(
  fc.constantFrom("", " ", "\n", "not json {", "{", "}", "[", "\uFEFF{}", "{'type':'text','content':'hi'}", "NaN", "undefined", '{"type":"text",}', '{"type":"text" "content":"hi"}', "{\"type\":\"text\",\"content\":\"hi\"}garbage"),
  short,
).map((text) => onGoodConnection("not JSON", [{ text }]));

const nonObject = fc
  .oneof(
    fc.constantFrom("[]", "{}", "null", "true", "0", "-0", "1e999", "18446744073709551616", '"text"', '[{"type":"text","content":"hi"}]', '[["type","text"]]'),
    storableValue.filter((text) => !text.startsWith("{")),
  )
  .map((text) => onGoodConnection("JSON that is not an object", [{ text }]));

const typeValue = fc.oneof(
  fc.constantFrom<unknown>(null, 0, 1, true, [], ["text"], { text: true }, "", "TEXT", "Text", "text ", " text", "text\u0000", "audio\u0000", "dance", "ping", "pong", "transcription", "error", "__proto__", "constructor", "toString", "t".repeat(64), "t".repeat(65), "t".repeat(1_000)),
  short,
);
const oddType = fc.oneof(
  typeValue.map((type) => `{"type":${json(type)},"content":"hi","data":"AAAA"}`),
  fc.constantFrom('{"content":"hi"}', '{"data":"AAAA"}', '{"type":"text","type":"dance","content":"hi"}', '{"type":"dance","type":"text","content":"hi"}', '{"__proto__":{"type":"text"},"content":"hi"}', '{"Type":"text","content":"hi"}'),
).map((text) => onGoodConnection("odd type", [{ text }]));

/** What that server's clients send with a question, and the fields they add to every message. */
const VALID_TEXT = { type: "text", content: "What is a prime number?", tutor_id: 7, session_id: 59 };
const textMutation = mutationsOf(VALID_TEXT)
  .map((value) => hostileJson(value))
  .filter((text): text is string => text !== null)
  .map((text) => studentText("text mutation", { text }));

const contentValue = fc.oneof(
  fc.constantFrom<unknown>("", " ", "\n\t ", "x".repeat(MAX_TEXT_CHARS), "x".repeat(MAX_TEXT_CHARS + 1), "  padded  ", 0, 42, null, true, [], ["hi"], { text: "hi" }, "\u0000", "a\u0000b", "\uD800", "\u202E\u200B\uFEFF", "😀".repeat(1_000), "__proto__", "'; DROP TABLE turns; --"),
  short,
);
const textContent = fc.oneof(
  { weight: 4, arbitrary: contentValue.map((content) => studentText("text content", { text: `{"type":"text","content":${json(content)}}` })) },
  { weight: 1, arbitrary: fc.constantFrom(200_000, BRIDGE_MAX_FRAME_BYTES - 64).map((times) => studentText("huge text content", { text: '{"type":"text","content":"@FILL@"}', fill: { text: "x", times } })) },
);

const pcm = (length: number, fill = 0): AudioRecipe => ({ bytes: { prefix: "", fill, length }, form: "standard" });
const audioMessage = (recipe: AudioRecipe): BridgeFrame => ({ text: '{"type":"audio","data":"@AUDIO@"}', audio: recipe });

const audioData = fc.oneof(
  fc.constantFrom<unknown>(null, 0, true, [], ["AAAA"], { data: "AAAA" }, "", " ", "====", "A", "AB", "ABC", "AAAA", "%%%not base64%%%", "AAAA\u0000", "QUJD\uD800"),
  short,
).map((data) => onGoodConnection("audio data", [{ text: `{"type":"audio","data":${json(data)}}` }]));
const audioDataMissing = fc.constantFrom('{"type":"audio"}', '{"type":"audio","audio":"AAAA"}', '{"type":"audio","content":"AAAA"}').map((text) => onGoodConnection("audio data", [{ text }]));

/** Files people send by mistake: their magic numbers, then bytes. */
const NOT_AUDIO_MAGIC: number[][] = [
  [0xff, 0xd8, 0xff, 0xe0],
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
  [0x25, 0x50, 0x44, 0x46, 0x2d],
  [0x49, 0x44, 0x33, 0x04],
  [0x4f, 0x67, 0x67, 0x53],
  [0x66, 0x4c, 0x61, 0x43],
  [0x1a, 0x45, 0xdf, 0xa3],
  [0x50, 0x4b, 0x03, 0x04],
];
const TEXT_FILES = ["hello, this is not audio at all, just words", '{"type":"text","content":"hi"}', "<html><body>audio</body></html>", "RIFF but not really a WAVE file, only text"];
const audioFile = fc.oneof(
  fc.tuple(fc.constantFrom(...NOT_AUDIO_MAGIC), fc.constantFrom(64, 4_096, 200_000)).map(([magic, length]) => ({ bytes: { prefix: toBase64(Uint8Array.from(magic)), fill: 7, length }, form: "standard" as const })),
  fc.constantFrom(...TEXT_FILES).map((text) => ({ bytes: { base64: Buffer.from(text).toString("base64") }, form: "standard" as const })),
  // Headerless PCM: empty, odd-length, 0.1 s, 1 s, just over 30 s, at and over 1 MB, over the frame limit.
  fc.constantFrom(0, 1, 2, 3_201, 3_200, 32_000, 960_002, BRIDGE_MAX_AUDIO_BYTES, BRIDGE_MAX_AUDIO_BYTES + 2, 1_100_000).map((length) => pcm(length)),
  garbageBytes.filter((bytes) => bytes.byteLength <= 512).map((bytes) => ({ bytes: { base64: toBase64(bytes) }, form: "standard" as const })),
).map((recipe) => onGoodConnection("audio that is not a recording", [audioMessage(recipe)]));

/** WAV headers beyond the REST surface's: what the bridge's 8–48 kHz, 30 s and 1 MB limits meet. */
const BRIDGE_WAVS: WavHeader[] = [
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 16_000 },
  { tag: 1, channels: 1, rate: 8_000, bits: 8, dataBytes: 8_000 },
  { tag: 3, channels: 1, rate: 16_000, bits: 32, dataBytes: 32_000 },
  { tag: 1, channels: 1, rate: 96_000, bits: 16, dataBytes: 19_200 },
  { tag: 1, channels: 2, rate: 44_100, bits: 24, dataBytes: 26_460 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 992_000 },
  { tag: 1, channels: 1, rate: 8_000, bits: 8, dataBytes: 480_000 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 16_000, declared: 0xffffffff },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 16_000, declared: 32_000_000 },
  { tag: 0xfffe, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, fmtSize: 18 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, emptyChunks: 2_000 },
  { tag: 1, channels: 1, rate: 48_000, bits: 16, dataBytes: 1_100_000 },
];
const wavRecipe = fc.oneof(
  fc.tuple(fc.constantFrom(...HOSTILE_WAVS, ...BRIDGE_WAVS), fc.constantFrom<AudioRecipe["form"]>("standard", "standard", "standard", "mime_lines", "unpadded")).map(
    ([wav, form]): AudioRecipe => ({ bytes: { wav }, form }),
  ),
  // RIFF sizes that lie; files cut inside the header or a sample.
  fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff).map((riffSize): AudioRecipe => ({ bytes: { wav: BRIDGE_WAVS[0] as WavHeader, riffSize }, form: "standard" })),
  fc.constantFrom(4, 11, 12, 20, 36, 43, 44, 45, 145).map((cut): AudioRecipe => ({ bytes: { wav: BRIDGE_WAVS[0] as WavHeader }, cut, form: "standard" })),
  // A good recording written in every way base64 gets mangled.
  fc.tuple(fc.constantFrom(...BASE64_FORMS), fc.option(fc.constantFrom(1, 5, 101, 1_001), { nil: undefined })).map(([form, chars]): AudioRecipe => ({ bytes: { wav: BRIDGE_WAVS[0] as WavHeader }, form, ...(chars === undefined ? {} : { chars }) })),
);
const wavFile = wavRecipe.map((recipe) => onGoodConnection("WAV file", [audioMessage(recipe)]));

/** That server's clients add fields to every message; each given a hostile value too. */
const EXTRA_FIELDS = ["tutor_id", "session_id", "avatar_id", "user_id", "student_id", "message_id", "timestamp", "language", "format", "sample_rate", "voice", "kb_id", "metadata"];
const extraFields = fc
  .tuple(fc.constantFrom("text", "audio"), fc.uniqueArray(fc.constantFrom(...EXTRA_FIELDS), { minLength: 1, maxLength: 6 }), fc.array(storableValue, { minLength: 6, maxLength: 6 }), fc.boolean())
  .map(([type, fields, values, plain]) => {
    // Plain: the values that server's clients send; otherwise hostile ones (already JSON text: 64-bit integers, NaN...).
    const extra = fields.map((field, i) => `${JSON.stringify(field)}:${plain ? (field.endsWith("_id") ? "59" : '"en"') : (values[i] ?? "null")}`);
    const head = type === "text" ? '"type":"text","content":"What is a prime number?"' : '"type":"audio","data":"@AUDIO@"';
    const body = `{${[head, ...extra].join(",")}}`;
    return type === "text" ? studentText("extra fields", { text: body }) : onGoodConnection("extra fields", [{ text: body, audio: pcm(3_200) }]);
  });

const nesting = fc.constantFrom<[string, string, string]>(["[", "1", "]"], ['{"a":', "1", "}"], ['[{"a":', "1", "}]"]);
const deep = fc
  .tuple(nesting, fc.constantFrom(1_000, 100_000, 400_000), fc.constantFrom('{"type":"text","content":"hi","x":@NEST@}', '{"type":"text","content":@NEST@}', '{"type":@NEST@}', "@NEST@", '{"type":"audio","data":@NEST@}'))
  .map(([[open, leaf, close], depth, text]) => {
    const frame: BridgeFrame = { text, nest: { open, leaf, close, depth } };
    return text.includes('"text","content":"hi"') ? studentText("deep nesting", frame) : onGoodConnection("deep nesting", [frame]);
  });

const huge = fc
  .constantFrom(
    { text: '{"type":"@FILL@"}', times: 1_000_000 },
    { text: '{"type":"text","content":"hi","padding":"@FILL@"}', times: BRIDGE_MAX_FRAME_BYTES - 100 },
    { text: '{"type":"audio","data":"@FILL@"}', times: BRIDGE_MAX_FRAME_BYTES - 40 },
    { text: '{"type":"audio","data":"@FILL@"}', times: BRIDGE_MAX_FRAME_BYTES },
    { text: '{"type":"text","content":"@FILL@"}', times: BRIDGE_MAX_FRAME_BYTES + 1 },
    { text: "@FILL@", times: 6 * 1024 * 1024 },
  )
  .map(({ text, times }) => onGoodConnection("huge string", [{ text, fill: { text: "A", times } }]));

const binary = fc
  .oneof(
    garbageBytes.map((bytes): BridgeFrame => (bytes.byteLength <= 4_096 ? { binary: toBase64(bytes) } : { binaryFill: { prefix: "", fill: bytes[0] ?? 0, length: bytes.byteLength } })),
    fc.constantFrom<BridgeFrame>({ binary: "" }, { binary: Buffer.from('{"type":"text","content":"hi"}').toString("base64") }, { binaryFill: { prefix: "", fill: 0, length: BRIDGE_MAX_FRAME_BYTES + 1 } }),
  )
  .map((frame) => onGoodConnection("binary frame", [frame]));

/** Text frames whose bytes are not UTF-8: lone continuation bytes, overlong forms, an encoded surrogate. */
const notUtf8 = fc.constantFrom("\xff\xfe", "\xc3\x28", "\xed\xa0\x80", "\xc0\xaf", '{"type":"text","content":"\xe9t\xe9"}').map((text) => onGoodConnection("text frame not UTF-8", [{ text, utf8: false }]));

/** Floods: past the message budget (rate_limited), past 50 refusals in 10 s (closed), queued recordings, decodes. */
const flood = fc
  .constantFrom<[BridgeFrame, number]>(
    [{ text: '{"type":"dance"}' }, 30],
    [{ text: '{"type":"dance"}' }, 60],
    [{ text: "not json" }, 400],
    [{ binary: "AA==" }, 80],
    [{ text: '{"type":"text","content":"What is a prime number?"}' }, 30],
    [audioMessage(pcm(3_200)), 8],
    [audioMessage({ bytes: { wav: BRIDGE_WAVS[0] as WavHeader }, form: "standard" }), 8],
    [audioMessage({ bytes: { wav: { tag: 1, channels: 1, rate: 48_000, bits: 16, dataBytes: 960_000 } }, form: "standard" }), 6],
    [{ text: '{"type":"text","content":"hi","x":@NEST@}', nest: { open: "[", leaf: "1", close: "]", depth: 400_000 } }, 25],
  )
  .map(([frame, repeat]) => onGoodConnection("flood", [frame], { repeat }));

const mixed = fc
  .array(fc.oneof(notJson, oddType, audioData, audioFile, wavFile, binary).map((draft) => draft.frames[0] as BridgeFrame), { minLength: 2, maxLength: 8 })
  .map((frames) => onGoodConnection("several messages", frames));

/** Clients that drop the connection right after sending, before the bridge has joined the room or answered. */
const hangUp = fc
  .oneof(textMutation, wavFile, audioFile, flood)
  .map((draft): Draft => ({ ...draft, note: "hang-up at once", awaits: "handling", hangUp: true }));

export const messageDraft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 3, arbitrary: notJson },
  { weight: 3, arbitrary: nonObject },
  { weight: 5, arbitrary: oddType },
  { weight: 7, arbitrary: textMutation },
  { weight: 5, arbitrary: textContent },
  { weight: 3, arbitrary: audioData },
  { weight: 1, arbitrary: audioDataMissing },
  { weight: 5, arbitrary: audioFile },
  { weight: 8, arbitrary: wavFile },
  { weight: 4, arbitrary: extraFields },
  { weight: 2, arbitrary: deep },
  { weight: 2, arbitrary: huge },
  { weight: 2, arbitrary: binary },
  { weight: 2, arbitrary: notUtf8 },
  { weight: 4, arbitrary: flood },
  { weight: 3, arbitrary: mixed },
  { weight: 2, arbitrary: hangUp },
);
