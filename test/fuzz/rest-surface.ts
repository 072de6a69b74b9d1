import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { z } from "zod";
import { toBase64, type FuzzSurface } from "./corpus.js";
import { garbageBytes, hostileString, mutationsOf, sampleSeeded } from "./hostile-values.js";
import { bodySegment, jsonSegments, normalise, type BodySegment } from "./rest-bodies.js";
import { ASR_UPLOAD_FIELDS, ASR_UPLOAD_PATHS, HOSTILE_WAVS, hostileWav, JSON_ROUTES, ROUTES, schemaEdges, SHORT_WAV, type JsonRoute, type WavHeader } from "./rest-routes.js";

/**
 * The REST surface: hostile HTTP requests to every route of the engine (the management API with its /v1 and /mgmt/v1
 * seed aliases, recognition, probes, operator routes, static files), derived from the zod request schemas:
 * mutations of valid bodies, boundary values, wrong content types and encodings, malformed JSON, huge bodies
 * (described by size), hostile paths and queries (bad percent-encoding, traversal), odd headers, multipart uploads
 * of hostile WAV files, and each with and without the admin key. Replayed by rest.fuzz.test.ts.
 */

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What node:http writes as a header value (latin1 without control characters). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export const restFuzzEntry = z.strictObject({
  id: z.string(),
  /** The family of the input (reports count answers by it). */
  note: z.string(),
  method: z.string().regex(/^[A-Z]+$/),
  /** The request target as written on the wire; `{session}` is the replay's live session id. */
  path: z.string().regex(/^[\x21-\x7e]+$/),
  auth: z.enum(["admin", "wrong", "none"]),
  headers: z.array(z.tuple([z.string().regex(HEADER_NAME), z.string().regex(HEADER_VALUE)])),
  /** null: no body. */
  body: z.array(bodySegment).nullable(),
  /** A declared Content-Length, or chunked transfer encoding. */
  framing: z.enum(["length", "chunked"]),
});
export type RestFuzzEntry = z.infer<typeof restFuzzEntry>;
type Draft = Omit<RestFuzzEntry, "id">;

const JSON_TYPE: [string, string] = ["content-type", "application/json"];
const BOUNDARY = "----rest-fuzz-boundary";
const MULTIPART_TYPE: [string, string] = ["content-type", `multipart/form-data; boundary=${BOUNDARY}`];

const auth = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Draft["auth"]>("admin") },
  { weight: 1, arbitrary: fc.constant<Draft["auth"]>("wrong") },
  { weight: 1, arbitrary: fc.constant<Draft["auth"]>("none") },
);
const framing = fc.constantFrom<Draft["framing"]>("length", "length", "length", "chunked");
const jsonRoute = fc.constantFrom(...JSON_ROUTES);

const json = (route: JsonRoute, body: BodySegment[], note: string, extra: Partial<Draft> = {}) =>
  fc.tuple(auth, framing).map(([who, frame]): Draft => ({ note, method: route.method, path: route.path, auth: who, headers: [JSON_TYPE], body, framing: frame, ...extra }));

/** Percent-encoding of any string, lone surrogates as their (invalid) CESU-8 bytes. */
function percentEncoded(text: string): string {
  return [...text.slice(0, 2_000)]
    .map((ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return ch.charCodeAt(0) < 0xdc00 ? "%ED%A0%80" : "%ED%B0%80";
      }
    })
    .join("");
}

/** Printable latin1 only: control characters and what node:http cannot write become `?`. */
const headerValue = (text: string) => text.slice(0, 8_000).replace(/[^\t\x20-\x7e\x80-\xff]/g, "?");

const mutation = jsonRoute.chain((route) => mutationsOf(route.valid).chain((value) => json(route, jsonSegments(value), "json mutation")));

const edges = JSON_ROUTES.flatMap((route) => schemaEdges(route).map((body) => ({ route, body })));
const schemaEdge = fc.constantFrom(...edges).chain(({ route, body }) => json(route, jsonSegments(body), "schema edge"));

const validBody = (route: JsonRoute) => jsonSegments(route.valid);
const CONTENT_TYPES: [string, string][][] = [
  [["content-type", "text/plain"]],
  [["content-type", "application/x-www-form-urlencoded"]],
  [["content-type", "multipart/form-data"]],
  [MULTIPART_TYPE],
  [["content-type", "application/json; charset=utf-16"]],
  [["content-type", "application/json; charset=latin1"]],
  [["content-type", "application/json; charset=\"utf-8\"; boundary=x"]],
  [["content-type", "APPLICATION/JSON"]],
  [["content-type", "application/vnd.api+json"]],
  [["content-type", "application/json, text/plain"]],
  [["content-type", "application/json;;;"]],
  [["content-type", ""]],
  [],
  [JSON_TYPE, ["content-encoding", "gzip"]],
  [JSON_TYPE, ["content-encoding", "deflate"]],
  [JSON_TYPE, ["content-encoding", "br"]],
  [JSON_TYPE, ["content-encoding", "compress"]],
  [JSON_TYPE, ["content-encoding", "gzip, gzip"]],
];
/** 10 MB of zeros in 10 KB: a body past the limit only once inflated. */
const GZIP_BOMB: BodySegment[] = [{ base64: toBase64(gzipSync(Buffer.alloc(10 * 1024 * 1024))) }];
const contentType = fc.tuple(jsonRoute, fc.constantFrom(...CONTENT_TYPES), fc.boolean()).chain(([route, headers, compressed]) => {
  const gzipped = headers.some(([name, value]) => name === "content-encoding" && value === "gzip");
  const body = gzipped ? (compressed ? [{ base64: toBase64(gzipSync(JSON.stringify(route.valid))) }] : GZIP_BOMB) : validBody(route);
  return json(route, body, "content type", { headers });
});

const MALFORMED: BodySegment[][] = [
  "",
  "{",
  "}",
  "[",
  '{"kind":',
  "{kind:'meeting'}",
  '{"kind":"meeting",}',
  "NaN",
  "undefined",
  "\uFEFF{\"kind\":\"meeting\"}",
  '{"kind":"meeting"}garbage',
  '{"kind":"meeting"}{"kind":"meeting"}',
  "null",
  "true",
  "0",
  '"a string"',
  "[]",
  '{"kind":"meeting","kind":"tutoring"}',
  '{"__proto__":{"admin":true},"kind":"meeting"}',
  '{"constructor":{"prototype":{"admin":true}},"kind":"meeting"}',
  '{"max_participants":1e999,"kind":"meeting"}',
  '{"title":"\\ud800","kind":"meeting"}',
  '{"title":"\\u0000","kind":"meeting"}',
  '{"title":"\\x41","kind":"meeting"}',
  '{"kind":"meeting"/*comment*/}',
  "\u0000\u0000\u0000\u0000",
].map((text) => normalise([{ text }]));
const RAW_BYTES: BodySegment[][] = [
  [{ base64: toBase64(Uint8Array.of(0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00)) }],
  [{ text: '{"title":"' }, { base64: toBase64(Uint8Array.of(0xc0, 0xae, 0xed, 0xa0, 0x80, 0xff)) }, { text: '","kind":"meeting"}' }],
  [{ repeat: "[", times: 100_000 }, { repeat: "]", times: 100_000 }],
  [{ repeat: '{"a":', times: 50_000 }, { text: "1" }, { repeat: "}", times: 50_000 }],
  [{ text: "[" }, { counted: "{i}", times: 20_000, separator: "," }, { text: "]" }],
];
const malformed = fc.tuple(jsonRoute, fc.constantFrom(...MALFORMED, ...RAW_BYTES)).chain(([route, body]) => json(route, body, "malformed json"));

/** Huge bodies, by size: a long string field, a wide array, deep nesting, many keys; over each route's limit. */
const hugeJson = fc
  .tuple(jsonRoute, fc.constantFrom(64 * 1024 + 1, 200_000, 2_000_000), fc.constantFrom("string", "array", "deep", "keys"), framing)
  .chain(([route, size, shape, frame]) => {
    // Past each route's own limit: 80 MB for recordings, 8 MB for images, else the size drawn.
    const big = route.path.endsWith("speech-recognition") ? 80 * 1024 * 1024 + 1 : route.path.startsWith("/api/v1/ai/") && size === 2_000_000 ? 8 * 1024 * 1024 + 1 : size;
    const body: BodySegment[] =
      shape === "string"
        ? [{ text: '{"title":"' }, { repeat: "x", times: big }, { text: '"}' }]
        : shape === "array"
          ? [{ text: "[" }, { repeat: "1,", times: Math.ceil(big / 2) }, { text: "1]" }]
          : shape === "deep"
            ? [{ repeat: "[", times: Math.ceil(big / 2) }, { repeat: "]", times: Math.ceil(big / 2) }]
            : big > 2_000_000
              ? [{ text: "{" }, { repeat: '"k":0,', times: Math.ceil(big / 6) }, { text: '"k":0}' }]
              : [{ text: "{" }, { counted: '"k{i}":0', times: Math.ceil(big / 8), separator: "," }, { text: "}" }];
    // Past 2 MB only a declared length is sent: a chunked body that large is read to its end before the answer.
    return json(route, body, "huge body", { framing: big > 2_000_000 ? "length" : frame });
  });
const largeRecording = fc.constantFrom(40_000, 1_000_000).chain((chars) =>
  json(JSON_ROUTES[4], [{ text: '{"format":"pcm","sample_rate":16000,"audio_data":"' }, { repeat: "A", times: chars }, { text: '"}' }], "large recording"),
);
const hugeUpload = fc.constant<Draft>({
  note: "huge body",
  method: "POST",
  path: "/api/v1/transcribe",
  auth: "admin",
  headers: [MULTIPART_TYPE],
  body: [{ text: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n` }, { repeat: "\u0000", times: 64 * 1024 * 1024 + 1 }, { text: `\r\n--${BOUNDARY}--\r\n` }],
  framing: "length",
});
const huge = fc.oneof({ weight: 6, arbitrary: hugeJson }, { weight: 2, arbitrary: largeRecording }, { weight: 1, arbitrary: hugeUpload });

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FOO"];
const BAD_SEGMENTS = ["%ED%A0%80", "%ED%B0%80", "%ff", "%", "%zz", "%00", "a%00b", "%C0%AE", "%E0%A4%A", "..", "%2e%2e", "%2F", "..%2f..%2fetc%2fpasswd", "%252e", "x".repeat(4_000), "%u0041", "%%", "a%0Ab", "%0D%0AX-Injected:%201"];
const QUERIES = [
  "?limit=-1", "?limit=0", "?limit=101", "?limit=1e3", "?limit=0x10", "?limit=abc", "?limit=1&limit=2", "?offset=-5", "?offset=1e9",
  "?status=sleeping", "?status=live&status=ended", "?status[]=live", "?status=%ff", "?status=%00", "?status=live,", "?status=,,,",
  "?format=xml", "?format=vtt", "?format=srt", "?format=vtt&format=srt", "?__proto__[admin]=1", "?constructor=x", "?%=%", "?a=%ED%A0%80",
  `?${"a=1&".repeat(1_500)}`, `?status=${"live,".repeat(1_000)}`,
];
const TRICK_PATHS = [
  "/../package.json", "/%2e%2e/package.json", "/..%2fpackage.json", "/..%5cpackage.json", "/..\\package.json", "/%00", "/index.html%00.js",
  "/.env", "/.git/config", "//etc/passwd", "/%2fetc%2fpasswd", "/API/V1/SESSIONS", "/api/v1/sessions/", "/api/v1//sessions", "/api//v1/sessions",
  "/api/v1/sessions;x=1", "/api/v1/sessions%2f{session}", "/api/v1/sessions/{session}/", "/api/v1/sessions/{session}/tokens/extra", "/v2/sessions",
  "/mgmt", "/api", "*", "http://evil.example/api/v1/sessions", "/monitor/../api/v1/sessions", "/%61pi/v1/sessions", `/${"a/".repeat(3_000)}`,
  `/${"a".repeat(20_000)}`, "/api/v1/sessions/{session}/transcript/../../{session}", "/metrics/../monitor/api", "/docs/%ff", "/openapi.json%00",
];
const hostilePath = fc.oneof(
  fc.tuple(fc.constantFrom(...ROUTES.filter((r) => r.path.includes("{session}"))), fc.oneof(fc.constantFrom(...BAD_SEGMENTS), hostileString.map(percentEncoded))).map(([route, segment]) => route.path.replace("{session}", segment)),
  fc.tuple(fc.constantFrom(...ROUTES), fc.constantFrom(...QUERIES)).map(([route, query]) => `${route.path}${query}`),
  fc.constantFrom(...TRICK_PATHS),
);
const path = fc.tuple(fc.constantFrom(...METHODS), hostilePath, auth).map(([method, target, who]): Draft => ({ note: "hostile path", method, path: target, auth: who, headers: [], body: null, framing: "length" }));

const ODD_HEADERS: [string, string][][] = [
  [["x-filler", "a".repeat(8_000)]],
  [["x-filler", "a".repeat(20_000)]],
  Array.from({ length: 500 }, (_, i): [string, string] => [`x-h${i}`, "v"]),
  [JSON_TYPE, ["content-type", "text/plain"]],
  [["transfer-encoding", "chunked"], ["content-length", "10"]],
  [["expect", "100-continue"]],
  [["expect", "something-else"]],
  [["host", "evil.example.com"]],
  [["host", "a".repeat(1_000)]],
  [["host", ""]],
  [["x-forwarded-for", "1.2.3.4, 5.6.7.8"], ["x-forwarded-proto", "https"], ["x-forwarded-host", "evil.example.com"]],
  [["x-real-ip", "10.0.0.1"]],
  [["accept", "application/xml"]],
  [["accept", "*/*;q=0"]],
  [["accept-encoding", "br, gzip, deflate, *;q=0"]],
  [["range", "bytes=0-0"]],
  [["range", "bytes=999999999-"]],
  [["range", "bytes=-1"]],
  [["range", "bytes=0-1,3-4"]],
  [["range", "bytes=abc"]],
  [["if-range", "x"], ["range", "bytes=0-1"]],
  [["if-none-match", "*"]],
  [["if-match", '"nope"']],
  [["if-modified-since", "garbage"]],
  [["if-unmodified-since", "Thu, 01 Jan 1970 00:00:00 GMT"]],
  [["cookie", `a=${"b".repeat(8_000)}`]],
  [["origin", "https://evil.example.com"]],
  [["origin", "null"]],
  [["connection", "upgrade"]],
  [["connection", "keep-alive, close"]],
  [["authorization", `Bearer ${"k".repeat(10_000)}`]],
  [["authorization", "Basic !!!"]],
  [["authorization", "Bearer \u00ff\u00fe"]],
  [["x-http-method-override", "DELETE"]],
  [["te", "trailers"]],
  [["x-latin", "\u00e9\u00ff\u00a0"]],
  [["user-agent", "\u00ff".repeat(100)]],
  [["content-type", `multipart/form-data; boundary=${"b".repeat(200)}`]],
];
const header = fc
  .tuple(fc.constantFrom(...ROUTES), fc.constantFrom(...ODD_HEADERS), auth, fc.oneof(hostileString, fc.constant("")))
  .map(([route, headers, who, extra]): Draft => {
    const body = JSON_ROUTES.find((r) => r.method === route.method && r.path === route.path);
    const odd: [string, string][] = extra === "" ? headers : [...headers, ["x-hostile", headerValue(extra)]];
    return { note: "odd headers", method: route.method, path: route.path, auth: who, headers: body === undefined ? odd : [JSON_TYPE, ...odd], body: body === undefined ? null : validBody(body), framing: "length" };
  });

const access = fc.tuple(fc.constantFrom(...ROUTES), fc.constantFrom<Draft["auth"]>("admin", "wrong", "none"), fc.constantFrom<[string, string][]>([], [["authorization", `Basic ${Buffer.from("admin:wrong").toString("base64")}`]])).map(([route, who, extra]): Draft => {
  const body = JSON_ROUTES.find((r) => r.method === route.method && r.path === route.path);
  return { note: "auth", method: route.method, path: route.path, auth: extra.length > 0 ? "none" : who, headers: body === undefined ? extra : [JSON_TYPE, ...extra], body: body === undefined ? null : validBody(body), framing: "length" };
});

/** A WAV as segments: its header as bytes, its (zero) data as a repeated byte. */
function wavSegments(h: WavHeader): BodySegment[] {
  if (h.dataFirst === true || h.dataBytes <= 4_096) return [{ base64: toBase64(hostileWav(h)) }];
  return [{ base64: toBase64(hostileWav({ ...h, dataBytes: 0, declared: h.declared ?? h.dataBytes })) }, { repeat: "\u0000", times: h.dataBytes }];
}
const filePart = (file: BodySegment[], name = "file", filename = "rec.wav", type = "audio/wav"): BodySegment[] => [
  { text: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n` },
  ...file,
  { text: "\r\n" },
];
const closing: BodySegment = { text: `--${BOUNDARY}--\r\n` };
const upload = (body: BodySegment[], note: string, headers: [string, string][] = [MULTIPART_TYPE]): Draft => ({ note, method: "POST", path: "/api/v1/transcribe", auth: "admin", headers, body, framing: "length" });
const wavFile = fc.constantFrom(...HOSTILE_WAVS);
const textPart = ([name, value]: readonly [string, string]): BodySegment => ({ text: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n` });
/** The ASR service's uploads: a hostile WAV in `audio` (or a valid one in the wrong field), with hostile text fields. */
const asrUpload = fc
  .tuple(fc.constantFrom(...ASR_UPLOAD_PATHS), fc.option(wavFile), fc.subarray([...ASR_UPLOAD_FIELDS], { maxLength: 3 }), fc.constantFrom("audio", "audio", "file"))
  .map(([target, h, fields, field]): Draft => ({
    ...upload([...filePart(h === null ? [{ base64: toBase64(SHORT_WAV) }] : wavSegments(h), field), ...normalise(fields.map(textPart)), closing], "asr service upload"),
    path: target,
  }));
const multipart = fc.oneof(
  asrUpload,
  wavFile.map((h) => upload([...filePart(wavSegments(h)), closing], "hostile wav upload")),
  wavFile.map((h): Draft => ({
    note: "hostile wav recognition",
    method: "POST",
    path: "/api/v1/ai/speech-recognition",
    auth: "admin",
    headers: [JSON_TYPE],
    body: jsonSegments({ format: "wav", audio_data: Buffer.from(hostileWav(h)).toString("base64") }),
    framing: "length",
  })),
  garbageBytes.map((bytes) => upload([...filePart([{ base64: toBase64(bytes.subarray(0, 4_096)) }]), closing], "garbage upload")),
  fc.constantFrom<Draft>(
    upload([...filePart([{ base64: toBase64(SHORT_WAV) }]), closing], "valid upload"),
    upload([...filePart([{ base64: toBase64(SHORT_WAV) }]), ...filePart([{ base64: toBase64(SHORT_WAV) }], "second"), closing], "two files"),
    upload([...filePart([{ base64: toBase64(SHORT_WAV) }])], "no closing boundary"),
    upload([{ text: `--other\r\n` }, ...filePart([{ base64: toBase64(SHORT_WAV) }]).slice(1), closing], "wrong boundary"),
    upload([], "empty multipart"),
    upload([{ text: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n` }, closing], "field only"),
    upload([{ counted: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv\r\n`, times: 1_000, separator: "" }, closing], "many fields"),
    upload([...filePart([{ base64: toBase64(SHORT_WAV) }], "file", "../../etc/passwd", "text/plain"), closing], "traversal filename"),
    upload([{ text: `--${BOUNDARY}\r\n${"X-Part: y\r\n".repeat(2_000)}\r\n` }, closing], "huge part headers"),
    upload([...filePart([{ base64: toBase64(SHORT_WAV) }]), closing], "multipart without boundary", [["content-type", "multipart/form-data"]]),
    upload([...filePart([{ base64: toBase64(SHORT_WAV) }]), closing], "upload as json", [JSON_TYPE]),
  ),
);

const draft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 10, arbitrary: mutation },
  { weight: 5, arbitrary: schemaEdge },
  { weight: 3, arbitrary: contentType },
  { weight: 3, arbitrary: malformed },
  { weight: 2, arbitrary: huge },
  { weight: 6, arbitrary: path },
  { weight: 4, arbitrary: header },
  { weight: 4, arbitrary: access },
  { weight: 4, arbitrary: multipart },
);

export const restSurface: FuzzSurface<RestFuzzEntry> = {
  name: "rest",
  entry: restFuzzEntry,
  generate(seed, count) {
    return sampleSeeded(draft, seed, count).map((entry, index) => restFuzzEntry.parse({ id: `rest-${index}`, ...entry }));
  },
};
