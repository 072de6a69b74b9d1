/**
 * SIGTERM's first step, in process: from the moment the engine starts stopping it takes no new sessions or tokens
 * (503 `draining`, retryable, with Retry-After) and `/ready` turns 503, while the sessions it holds are told
 * (`session.ended`, reason `shutdown`). The spawned-process path (exit 0) is test/engine/restart.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";

let t: TestEngine;

beforeAll(async () => {
  // Long enough for the requests sent before stop() to be answered before the transport closes.
  t = await startTestEngine({ drainDelayMs: 1_000 });
});
afterAll(() => t.close());

/** Sends the request now; the engine handles it on a later turn of its event loop. */
function send(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${t.engine.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe("draining", () => {
  it("answers 503 draining to creations and tokens, 503 on /ready, and ends live sessions with shutdown", async () => {
    const session = await t.createSession();
    const room = await t.join(session.id, session.token);
    const ended = new Promise<unknown>((resolve) => room.onMessage("session.ended", resolve));
    await expectModelsLoaded(t);
    await eventually(async () => ((await send("GET", "/ready")).status === 200 ? true : undefined), 10_000);

    // Issued before stop() and handled after it began: stop() marks the process draining before its first await.
    const create = send("POST", "/api/v1/sessions", { kind: "meeting" });
    const token = send("POST", `/api/v1/sessions/${session.id}/tokens`, { participant_id: "late", role: "participant" });
    const ready = send("GET", "/ready");
    const stopped = t.engine.stop();

    const created = await create;
    expect(created.status).toBe(503);
    expect(created.headers.get("retry-after")).toBe("5");
    expect(await created.json()).toMatchObject({ error: { code: "draining", retryable: true } });
    expect(await (await token).json()).toMatchObject({ error: { code: "draining", retryable: true } });
    const readiness = await ready;
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ error: { code: "not_ready", details: { accepting: false } } });
    expect(await ended).toEqual({ session_id: session.id, reason: "shutdown" });
    await stopped;
    expect(await t.engine.store.getSession(session.id).catch(() => "closed")).toBe("closed");
  });
});
