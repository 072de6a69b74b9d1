import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, eventually, startTestEngine, type TestEngine } from "../support/engine.js";
import { answerOf, rawRequest, type RawRequest, type RawResponse } from "../support/raw-http.js";

/**
 * The HTTP surface against hostile callers: credentials on every management and operator route, files outside
 * `web/dist`, what `/metrics` gives away, body limits on every route that reads one, and no CORS headers when
 * `CORS_ORIGINS` is unset (the allow-list itself: cors.test.ts). Requests are sent as written (node:http).
 */

const METRICS_TOKEN = "metrics-token-0123456789-abcdef";
const WEB_INDEX = fileURLToPath(new URL("../../web/dist/index.html", import.meta.url));

let t: TestEngine;
let sessionId: string;
beforeAll(async () => {
  t = await startTestEngine({ metricsToken: METRICS_TOKEN });
  sessionId = (await t.createSession({ kind: "meeting" })).id;
});
afterAll(async () => {
  await t?.close();
});

/** Spreads requests over loopback source addresses: the per-address budget (429) is not what these tests probe. */
let sent = 0;
function send(request: Omit<RawRequest, "port">): Promise<RawResponse> {
  sent += 1;
  return rawRequest({ ...request, port: t.engine.port, localAddress: `127.0.0.${2 + (sent % 250)}` });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`operator:${password}`).toString("base64")}` });

/** Every management route, on every path style: [method, path]. */
function managementRoutes(): [string, string][] {
  const seed = (prefix: string): [string, string][] => [
    ["GET", `${prefix}/sessions`],
    ["POST", `${prefix}/sessions`],
    ["GET", `${prefix}/sessions/${sessionId}`],
    ["DELETE", `${prefix}/sessions/${sessionId}`],
  ];
  return [
    ...seed("/api/v1"),
    ["POST", `/api/v1/sessions/${sessionId}/tokens`],
    ["GET", `/api/v1/sessions/${sessionId}/transcript`],
    ["POST", "/api/v1/ai/speech-recognition"],
    ["POST", "/api/v1/transcribe"],
    ["GET", "/api/v1/no-such-route"],
    ...seed("/v1"),
    ...seed("/mgmt/v1"),
  ];
}

/** Wrong credentials: none, malformed, near misses, other schemes and secrets, other places to put a key. */
const WRONG_CREDENTIALS: Record<string, string>[] = [
  {},
  { authorization: "" },
  { authorization: "Bearer" },
  { authorization: "Bearer " },
  bearer("x".repeat(ADMIN_KEY.length)),
  bearer(`${ADMIN_KEY}x`),
  bearer(ADMIN_KEY.slice(0, -1)),
  bearer(ADMIN_KEY.toUpperCase()),
  bearer("k".repeat(8_000)),
  bearer("\u00ff\u00fe\u00fd"),
  bearer(METRICS_TOKEN),
  { authorization: ADMIN_KEY },
  { authorization: `Token ${ADMIN_KEY}` },
  { authorization: `Bearer ${ADMIN_KEY} extra` },
  basic(ADMIN_KEY),
  { "x-api-key": ADMIN_KEY },
  { cookie: `key=${ADMIN_KEY}` },
];

describe("credentials", () => {
  it("every management route answers 401 unauthorized to every wrong credential, before reading anything else", async () => {
    for (const [method, path] of managementRoutes()) {
      for (const headers of WRONG_CREDENTIALS) {
        const res = await send({ method, path: `${path}?api_key=${ADMIN_KEY}`, headers: { ...headers, "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
        expect(answerOf(res), `${method} ${path} ${JSON.stringify(headers).slice(0, 60)}`).toEqual({ status: 401, code: "unauthorized" });
      }
    }
    // The session was never touched.
    expect((await t.api("GET", `/api/v1/sessions/${sessionId}`)).body).toMatchObject({ status: "waiting" });
  });

  it("/metrics with METRICS_TOKEN set: 401 without it or with another secret, 200 with it", async () => {
    for (const headers of [{}, bearer(ADMIN_KEY), bearer(`${METRICS_TOKEN}x`), basic(METRICS_TOKEN), { authorization: METRICS_TOKEN }]) {
      expect(answerOf(await send({ method: "GET", path: "/metrics", headers }))).toEqual({ status: 401, code: "unauthorized" });
    }
    expect((await send({ method: "GET", path: "/metrics", headers: bearer(METRICS_TOKEN) })).status).toBe(200);
  });

  it("/monitor/ and its API: 401 without the admin password, with a wrong one, or with the bearer scheme", async () => {
    const paths = ["/monitor/", "/monitor", "/monitor/api", `/monitor/api/room?roomId=${sessionId}`, "/monitor/api/room/call", "/MONITOR/api", "/monitor/%2e%2e/monitor/api"];
    for (const path of paths) {
      for (const headers of [{}, bearer(ADMIN_KEY), basic(`${ADMIN_KEY}x`), basic(""), { authorization: "Basic !!!" }, { authorization: "Basic " }]) {
        expect(answerOf(await send({ method: "GET", path, headers })), `${path} ${JSON.stringify(headers)}`).toMatchObject({ status: 401, code: "unauthorized" });
      }
    }
    // Not a 404 in disguise: the right password opens it.
    expect((await send({ method: "GET", path: "/monitor/api", headers: basic(ADMIN_KEY) })).status).toBe(200);
  });
});

describe("static files: nothing outside web/dist", () => {
  const TRICKS = [
    "/../package.json",
    "/%2e%2e/package.json",
    "/%2E%2E/package.json",
    "/..%2fpackage.json",
    "/..%2Fpackage.json",
    "/%2e%2e%2fpackage.json",
    "/.%2e/package.json",
    "/%252e%252e/package.json",
    "/..%5cpackage.json",
    "/..\\package.json",
    "/\\..\\package.json",
    "/..%255cpackage.json",
    "/%c0%ae%c0%ae/package.json",
    "/....//package.json",
    "/..;/package.json",
    "/%00",
    "/%00/../package.json",
    "/index.html%00.json",
    "/..%00/package.json",
    "/index.html/../../package.json",
    "/../../../../../../etc/passwd",
    "/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/.env",
    "/.git/config",
    "/package.json",
    "/src/engine.ts",
    "/node_modules/express/package.json",
    "/data/secrets.json",
    "/web/index.html",
    "/dist/main.js",
  ];

  it.each(TRICKS)("%s → a JSON 404/400, never a file from outside web/dist", async (path) => {
    for (const method of ["GET", "HEAD"]) {
      const res = await send({ method, path });
      expect([400, 404]).toContain(res.status);
      if (method === "GET") expect(["not_found", "invalid_request"]).toContain(answerOf(res).code);
      expect(res.text).not.toMatch(/realtime-session-engine|"dependencies"|root:|\[core\]|adminApiKey|tokenSecret|import /);
    }
  });

  it.runIf(existsSync(WEB_INDEX))("the browser client itself is still served", async () => {
    const res = await send({ method: "GET", path: "/" });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
  });
});

describe("/metrics gives away no identity", () => {
  it("after a session with a named participant ran, the exposition holds no session id, participant id, name or title", async () => {
    const title = "Quarterly-Secret-Title-7781";
    const { id } = await t.createSession({ kind: "meeting", title });
    const participantId = "participant-zq-4711";
    const name = "Zelda Quux-Private";
    const room = await t.join(id, await t.token(id, participantId, "participant", { name }));
    room.send("text", { content: "hello from Zelda" });
    await eventually(async () => {
      const body = (await t.api("GET", `/api/v1/sessions/${id}`)).body as { status: string; participants: unknown[] };
      return body.status === "live" && body.participants.length === 1 ? true : undefined;
    });
    // Errors that name the session and participant in their request.
    await t.api("POST", `/api/v1/sessions/${id}/tokens`, { participant_id: participantId, role: "student", name });
    await t.api("GET", `/api/v1/sessions/${id}-missing`);
    await room.leave(true);
    expect((await t.api("DELETE", `/api/v1/sessions/${id}`)).status).toBe(204);

    const res = await send({ method: "GET", path: "/metrics", headers: bearer(METRICS_TOKEN) });
    expect(res.status).toBe(200);
    // Behind METRICS_TOKEN, engine_room_clients names each room a process holds by its session id (an opaque UUID):
    // that one family may hold it; no line holds a participant's id or name, a title or a message.
    const outsideRoomSeries = res.text.split("\n").filter((line) => !line.startsWith("engine_room_clients{")).join("\n");
    for (const session of [id, sessionId]) expect(outsideRoomSeries.includes(session), session).toBe(false);
    for (const secret of [participantId, name, "Zelda", title, "hello from Zelda", ADMIN_KEY, METRICS_TOKEN]) {
      expect(res.text.includes(secret), secret).toBe(false);
    }
  });
});

describe("body limits: every route that reads a body answers 413 payload_too_large past its limit", () => {
  const JSON_ROUTES = (): [string, string][] => [
    ["POST", "/api/v1/sessions"],
    ["POST", `/api/v1/sessions/${sessionId}/tokens`],
    ["DELETE", `/api/v1/sessions/${sessionId}`],
    ["GET", "/api/v1/sessions"],
    ["POST", "/v1/sessions"],
    ["POST", "/mgmt/v1/sessions"],
    ["DELETE", `/mgmt/v1/sessions/${sessionId}`],
  ];
  const overLimit = JSON.stringify({ kind: "meeting", title: "x".repeat(70 * 1024) });

  it("JSON routes: a body over 64 KB, with a declared length or chunked", async () => {
    for (const [method, path] of JSON_ROUTES()) {
      const headers = { ...bearer(ADMIN_KEY), "content-type": "application/json" };
      expect(answerOf(await send({ method, path, headers, body: overLimit })), `${method} ${path}`).toEqual({ status: 413, code: "payload_too_large" });
      // No Content-Length: the parser counts while it reads.
      const chunks = [Buffer.from(overLimit.slice(0, 40_000)), Buffer.from(overLimit.slice(40_000))];
      expect(answerOf(await send({ method, path, headers, body: chunks })), `${method} ${path} chunked`).toEqual({ status: 413, code: "payload_too_large" });
    }
    expect((await t.api("GET", `/api/v1/sessions/${sessionId}`)).body).toMatchObject({ status: "waiting" });
  });

  it("the recognition route past 80 MB and the upload route past 64 MB, refused from their declared length", async () => {
    const cases: [string, string, number][] = [
      ["/api/v1/ai/speech-recognition", "application/json", 81 * 1024 * 1024],
      ["/api/v1/transcribe", "multipart/form-data; boundary=xyz", 65 * 1024 * 1024],
    ];
    for (const [path, type, length] of cases) {
      // Only the start is sent: the answer must not wait for (or read) the rest.
      const res = await send({ method: "POST", path, headers: { ...bearer(ADMIN_KEY), "content-type": type, "content-length": String(length) }, body: [Buffer.from("--xyz\r\n")] });
      expect(answerOf(res), path).toEqual({ status: 413, code: "payload_too_large" });
    }
  });

  it("a chunked upload (no declared length) is cut at 64 MB while it is read", async () => {
    const head = Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n');
    const megabyte = Buffer.alloc(1024 * 1024);
    function* body(): Generator<Uint8Array> {
      yield head;
      for (let i = 0; i < 66; i += 1) yield megabyte;
      yield Buffer.from("\r\n--xyz--\r\n");
    }
    const res = await send({ method: "POST", path: "/api/v1/transcribe", headers: { ...bearer(ADMIN_KEY), "content-type": "multipart/form-data; boundary=xyz" }, body: body() });
    expect(answerOf(res)).toEqual({ status: 413, code: "payload_too_large" });
  });

  it("the engine answers after all of it", async () => {
    expect((await send({ method: "GET", path: "/health" })).status).toBe(200);
  });
});

describe("no CORS headers when CORS_ORIGINS is unset", () => {
  it("no route answers any Origin, preflight or not, with an Access-Control-* header", async () => {
    for (const path of ["/api/v1/sessions", "/v1/sessions", "/monitor/api", "/metrics", "/health", "/", `/matchmake/joinById/${sessionId}`]) {
      for (const method of ["OPTIONS", "GET"]) {
        const res = await send({ method, path, headers: { origin: "https://evil.example.com", "access-control-request-method": "POST", ...bearer(ADMIN_KEY) } });
        const cors = Object.keys(res.headers).filter((name) => name.startsWith("access-control-"));
        expect(cors, `${method} ${path}`).toEqual([]);
      }
    }
  });
});
