import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { Protocol } from "@colyseus/core";
import type { Room } from "@colyseus/sdk";
import { Packr, pack } from "msgpackr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { errorMessage, type ErrorMessage } from "../../src/protocol/server-messages.js";
import { spawnEngine, type EngineProcess } from "../support/engine-process.js";
import { joinRoom } from "../support/join-room.js";
import { openRawConnection, reserveSeat, roomDataFrame } from "../support/raw-room-client.js";

/**
 * The two inputs that ended the whole engine process before: a payload JSON cannot encode, and a socket dropped
 * before the join acknowledgement. Run against a real `npm start` process, with its process guards, so "the engine
 * stays up" is what is checked.
 */

const ADMIN_KEY = "hostile-admin-key-0123456789";
let engine: EngineProcess;
let dataDir: string;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${engine.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : JSON.parse(text) };
}

const created = z.object({ session_id: z.string(), engine_token: z.string() });
const issued = z.object({ token: z.string() });

async function meetingWithObserver(): Promise<{ id: string; hostToken: string; observerToken: string }> {
  const session = created.parse((await api("POST", "/api/v1/sessions", { kind: "meeting" })).body);
  const token = issued.parse((await api("POST", `/api/v1/sessions/${session.session_id}/tokens`, { participant_id: "watcher", role: "observer" })).body);
  return { id: session.session_id, hostToken: session.engine_token, observerToken: token.token };
}

async function join(id: string, token: string): Promise<Room> {
  return joinRoom(engine.engineUrl, id, token);
}

/** Whichever comes first: `promise`, or the engine process exiting (which fails the test at once). */
function unlessEngineExits<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([promise, engine.exited.then((code) => Promise.reject(new Error(`the engine exited (${code})`)))]);
}

/** The next `error` reply the room gets. */
function nextError(room: Room): Promise<ErrorMessage> {
  return unlessEngineExits(
    new Promise((resolve) => {
      const off = room.onMessage("error", (message: unknown) => {
        off();
        resolve(errorMessage.parse(message));
      });
    }),
  );
}

async function expectAlive(): Promise<void> {
  const health = await fetch(`${engine.httpUrl}/health`);
  expect(health.status).toBe(200);
  expect(engine.child.exitCode).toBeNull();
}

beforeAll(async () => {
  dataDir = await mkdtemp(joinPath(tmpdir(), "engine-hostile-"));
  engine = await spawnEngine({ DATA_DIR: dataDir, ADMIN_API_KEY: ADMIN_KEY }, 60_000);
});
afterAll(async () => {
  engine.child.kill("SIGTERM");
  await engine.exited;
  await rm(dataDir, { recursive: true, force: true });
});

/** MessagePack of `[[[…null…]]]`, `depth` levels (built by hand: msgpackr's own packer recurses). */
function nestedArrays(depth: number): Uint8Array {
  const bytes = new Uint8Array(depth + 1).fill(0x91);
  bytes[depth] = 0xc0;
  return bytes;
}

describe("payloads JSON cannot carry", () => {
  const structured = new Packr({ structuredClone: true });
  const circular: Record<string, unknown> = { content: "hello" };
  circular["self"] = circular;
  const cases: { name: string; type: "text" | "signal"; payload: Uint8Array; code: ErrorMessage["code"] }[] = [
    { name: "a 64-bit integer (BigInt) in text", type: "text", payload: pack({ content: 2n ** 63n }), code: "invalid_message" },
    { name: "a 64-bit integer inside a signal's candidate", type: "signal", payload: pack({ to: "host", type: "ice_candidate", candidate: { sdpMLineIndex: 2n ** 64n - 1n } }), code: "invalid_message" },
    { name: "a circular structure", type: "text", payload: structured.pack(circular), code: "invalid_message" },
    { name: "a Set (MessagePack extension)", type: "signal", payload: structured.pack({ to: "host", type: "offer", sdp: new Set(["x"]) }), code: "invalid_message" },
    { name: "a Date (timestamp extension)", type: "text", payload: pack({ content: new Date(0) }), code: "invalid_message" },
    { name: "an Error (extension)", type: "text", payload: structured.pack({ content: new Error("x") }), code: "invalid_message" },
    { name: "binary data", type: "text", payload: pack({ content: new Uint8Array(8) }), code: "invalid_message" },
    { name: "nesting 1,000 levels deep", type: "signal", payload: nestedArrays(1_000), code: "message_too_large" },
    { name: "200,000 array elements", type: "text", payload: pack({ content: Array.from({ length: 200_000 }, () => 0) }), code: "message_too_large" },
  ];

  it.each(cases)("$name from an observer: $code, and the engine and the session go on", async ({ type, payload, code }) => {
    const { id, hostToken, observerToken } = await meetingWithObserver();
    const host = await join(id, hostToken);
    const observer = await join(id, observerToken);
    const refused = nextError(observer);
    observer.connection.send(roomDataFrame(type, payload));
    expect(await refused).toMatchObject({ code, type });

    // The same connection and the rest of the session still work.
    const chat = new Promise<unknown>((resolve) => host.onMessage("text", resolve));
    observer.send("text", { content: "still here" });
    expect(await chat).toMatchObject({ from: "watcher", content: "still here" });
    await expectAlive();
    await Promise.all([host.leave(), observer.leave()]);
  });
});

describe("a socket closed before the join acknowledgement", () => {
  it("frees the seat, and the engine and the session go on (five times over)", async () => {
    const { id, hostToken, observerToken } = await meetingWithObserver();
    const host = await join(id, hostToken);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const url = await reserveSeat(engine.httpUrl, id, observerToken);
      const raw = await openRawConnection(url, { acknowledge: false });
      raw.socket.terminate();
      await raw.closed;
    }
    await expectAlive();
    // The observer still joins, and the room lists it once, connected (the room state is the live truth; the
    // database record follows through the room's ordered writes).
    const listed = new Promise<void>((resolve) => {
      host.onStateChange((state: { participants: Map<string, { connected: boolean }> }) => {
        if (state.participants.get("watcher")?.connected === true) resolve();
      });
    });
    const observer = await join(id, observerToken);
    await unlessEngineExits(listed);
    const ids: string[] = [];
    (host.state as { participants: Map<string, unknown> }).participants.forEach((_, key) => ids.push(key));
    expect(ids.sort()).toEqual(["host", "watcher"]);
    await Promise.all([host.leave(), observer.leave()]);
  });

  it("a socket closed right after acknowledging, before any message, is a drop like any other", async () => {
    const { id, observerToken } = await meetingWithObserver();
    const raw = await openRawConnection(await reserveSeat(engine.httpUrl, id, observerToken));
    await raw.next(Protocol.ROOM_STATE);
    raw.socket.terminate();
    await raw.closed;
    await expectAlive();
  });
});
