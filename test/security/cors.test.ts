import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corsHeadersFor } from "../../src/api/cors.js";
import { ConfigError, configFromEnv } from "../../src/config.js";
import { ADMIN_KEY, startTestEngine, type TestEngine } from "../support/engine.js";
import { rawRequest, type RawResponse } from "../support/raw-http.js";

/**
 * CORS with `CORS_ORIGINS` set: exactly the listed origins get Access-Control-* headers, on the API, the operator
 * routes and Colyseus' matchmaking routes alike; any other origin gets none (Colyseus' default echoed every Origin
 * with credentials). The default (no CORS headers at all) is checked in http-surface.test.ts.
 */

const ALLOWED = "https://app.example.com";
const OTHERS = ["https://evil.example.com", "https://app.example.com.evil.example", "http://app.example.com", "https://APP.example.com", "null", ""];

let t: TestEngine;
let sessionId: string;
beforeAll(async () => {
  t = await startTestEngine({ corsOrigins: [ALLOWED, "http://localhost:5173"] });
  sessionId = (await t.createSession({ kind: "meeting" })).id;
});
afterAll(async () => {
  await t?.close();
});

function accessControl(res: RawResponse): Record<string, string> {
  return Object.fromEntries(
    Object.entries(res.headers)
      .filter(([name]) => name.startsWith("access-control-"))
      .map(([name, value]) => [name, String(value)]),
  );
}

const preflight = (path: string, origin: string, method = "POST") =>
  rawRequest({
    port: t.engine.port,
    method: "OPTIONS",
    path,
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization, content-type" },
  });

const ROUTES = () => ["/api/v1/sessions", `/api/v1/sessions/${sessionId}/tokens`, "/v1/sessions", "/mgmt/v1/sessions", "/monitor/api", "/metrics", "/health", `/matchmake/joinById/${sessionId}`];

describe("preflight (OPTIONS)", () => {
  it("an allowed origin gets the allowed methods and headers, for its own origin only", async () => {
    for (const path of ROUTES()) {
      const res = await preflight(path, ALLOWED);
      expect(res.status).toBe(204);
      expect(accessControl(res)).toEqual({
        "access-control-allow-origin": ALLOWED,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, HEAD, POST, DELETE, OPTIONS",
        "access-control-allow-headers": "Authorization, Content-Type, Accept",
        "access-control-max-age": "600",
      });
      expect(res.headers["vary"]).toMatch(/Origin/);
    }
  });

  it("any other origin (look-alikes, another scheme, case, null) gets no Access-Control-* header", async () => {
    for (const path of ROUTES()) {
      for (const origin of OTHERS) {
        const res = await preflight(path, origin);
        expect(accessControl(res), `${origin} → ${path}`).toEqual({});
      }
    }
  });
});

describe("actual requests", () => {
  it("the API answers an allowed origin with its origin and credentials, another origin with no CORS header", async () => {
    const allowed = await rawRequest({ port: t.engine.port, method: "GET", path: "/api/v1/sessions", headers: { origin: ALLOWED, authorization: `Bearer ${ADMIN_KEY}` } });
    expect(allowed.status).toBe(200);
    expect(accessControl(allowed)).toMatchObject({ "access-control-allow-origin": ALLOWED, "access-control-allow-credentials": "true" });
    for (const origin of OTHERS) {
      const other = await rawRequest({ port: t.engine.port, method: "GET", path: "/api/v1/sessions", headers: { origin, authorization: `Bearer ${ADMIN_KEY}` } });
      expect(accessControl(other)).toEqual({});
    }
  });

  it("the matchmaking route (the SDK's join request) follows the same list", async () => {
    const join = (origin: string) =>
      rawRequest({ port: t.engine.port, method: "POST", path: `/matchmake/joinById/${sessionId}`, headers: { origin, "content-type": "application/json" }, body: "{}" });
    // No token: refused (440), but the answer is readable by the allowed page only.
    const allowed = await join(ALLOWED);
    expect(allowed.status).toBe(440);
    expect(accessControl(allowed)).toMatchObject({ "access-control-allow-origin": ALLOWED });
    expect(accessControl(await join("https://evil.example.com"))).toEqual({});
  });

  it("the SDK (no Origin: same origin or not a browser) still joins", async () => {
    const room = await t.join(sessionId, await t.token(sessionId, "p-cors", "participant"));
    expect(room.roomId).toBe(sessionId);
    await room.leave(true);
  });
});

describe("corsHeadersFor", () => {
  it("gives nothing at all when no origin is configured, whatever the Origin", () => {
    for (const origin of [ALLOWED, "https://evil.example.com", null]) expect(corsHeadersFor(new Set(), origin)).toEqual({});
  });
});

describe("CORS_ORIGINS", () => {
  it("takes comma-separated exact origins; unset → none", () => {
    expect(configFromEnv({ CORS_ORIGINS: " https://app.example.com , http://localhost:5173 ," }).corsOrigins).toEqual(["https://app.example.com", "http://localhost:5173"]);
    expect(configFromEnv({}).corsOrigins).toEqual([]);
    expect(configFromEnv({ CORS_ORIGINS: "" }).corsOrigins).toEqual([]);
  });

  it.each(["*", "https://*.example.com", "https://app.example.com/", "https://app.example.com/path", "app.example.com", "ftp://app.example.com", "null"])(
    "refuses %s at start (a ConfigError naming CORS_ORIGINS)",
    (value) => {
      expect(() => configFromEnv({ CORS_ORIGINS: value })).toThrow(ConfigError);
      expect(() => configFromEnv({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
    },
  );
});
