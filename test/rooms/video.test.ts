import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPRESSION_NAMES } from "../../src/protocol/server-messages.js";
import { collect, eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { streamFrames, type ExpressionMessage, type NoFaceMessage } from "../support/room-video-client.js";
import { metricValue, parsePrometheus } from "../support/prometheus.js";
import { createTestPhotos, type TestPhoto } from "../support/test-photos.js";

/** Short, so the `no_face` case sends a few frames rather than 10 s of them. */
const NO_FACE_AFTER_MS = 1_200;

let t: TestEngine;
let face: TestPhoto;
let cat: TestPhoto;
beforeAll(async () => {
  const photos = createTestPhotos();
  [t, face, cat] = await Promise.all([startTestEngine({ noFaceAfterMs: NO_FACE_AFTER_MS }), photos.photo("astronaut"), photos.photo("chelsea")]);
  await expectModelsLoaded(t);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

type ErrorReply = { code: string; type: string; message: string };
type ParticipantView = { faces?: number; expression?: string };

async function meetingWithListener(): Promise<{ id: string; host: Room; listener: Room }> {
  const { id, token } = await t.createSession({ kind: "meeting" });
  const host = await t.join(id, token);
  const listener = await t.join(id, await t.token(id, "listener", "participant", { name: "Listener" }));
  return { id, host, listener };
}

function participantView(room: Room, participantId: string): ParticipantView | undefined {
  const state = room.state as { participants: Map<string, ParticipantView> };
  return state.participants.get(participantId);
}

describe("live video analysis in a meeting", () => {
  it("a participant's camera frames become expression messages for everyone, the room state's badge, and analyses rows", async () => {
    const { id, host, listener } = await meetingWithListener();
    const heard = collect<ExpressionMessage>(listener, "expression");
    const errors = collect<ErrorReply>(host, "error");
    await streamFrames(host, face.jpeg, { count: 3 });
    const first = await eventually(() => heard[0], 20_000);
    expect(first).toMatchObject({ participant_id: "host", faces: 1 });
    expect(EXPRESSION_NAMES).toContain(first.expression);
    const scores = Object.values(first.scores ?? {});
    expect(scores).toHaveLength(7);
    expect(scores.reduce((sum, score) => sum + score, 0)).toBeCloseTo(1, 3);
    expect(first.at_ms).toBeGreaterThan(0);
    const view = await eventually(() => {
      const seen = participantView(listener, "host");
      return seen?.faces === 1 && seen.expression !== undefined && seen.expression !== "" ? seen : undefined;
    });
    expect(EXPRESSION_NAMES).toContain(view.expression);
    expect(errors).toEqual([]);

    // Ending the session flushes the batched analyses: every announced expression is in the database.
    await eventually(() => (heard.length >= 1 ? true : undefined));
    expect((await t.api("DELETE", `/api/v1/sessions/${id}`)).status).toBe(204);
    const listed = await t.api("GET", `/api/v1/sessions/${id}/analyses?kind=expression`);
    expect(listed.status).toBe(200);
    const stored = listed.body as { total: number; items: { participant_id: string; kind: string; at_ms: number; payload: Record<string, unknown> }[] };
    expect(stored.total).toBeGreaterThanOrEqual(1);
    expect(stored.items.length).toBe(heard.length);
    expect(stored.items[0]).toMatchObject({ participant_id: "host", kind: "expression", at_ms: first.at_ms });
    expect(stored.items[0]?.payload).toMatchObject({ faces: 1, expression: first.expression });
    const box = stored.items[0]?.payload["box"] as { x: number; y: number; width: number; height: number };
    // The astronaut's face sits in the upper middle of the 512×512 photo.
    expect(box.width).toBeGreaterThan(50);
    expect(box.x + box.width / 2).toBeGreaterThan(face.width * 0.3);
    expect(box.x + box.width / 2).toBeLessThan(face.width * 0.7);
    // Counted: frames taken and analysed, their stages timed, the face models' batches.
    const metrics = parsePrometheus(await (await fetch(`${t.engine.httpUrl}/metrics`)).text());
    expect(metricValue(metrics, "engine_video_frames_total", { outcome: "received" })).toBeGreaterThanOrEqual(3);
    expect(metricValue(metrics, "engine_video_frames_total", { outcome: "analysed" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, "engine_video_stage_latency_seconds_count", { stage: "frame_to_result" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, "engine_video_stage_latency_seconds_sum", { stage: "detect" })).toBeGreaterThan(0);
    expect(metricValue(metrics, "engine_inference_model_batch_size_count", { pool: "0", model: "blazeface_front_128" })).toBeGreaterThanOrEqual(1);
    // What each bad query gets back.
    expect((await t.api("GET", `/api/v1/sessions/${id}/analyses?limit=0`)).status).toBe(400);
    expect((await t.api("GET", `/api/v1/sessions/${id}/analyses?kind=Not%20A%20Kind`)).body).toMatchObject({ error: { code: "invalid_request" } });
    expect((await t.api("GET", "/api/v1/sessions/nope/analyses")).body).toMatchObject({ error: { code: "session_not_found" } });
    expect((await t.api("GET", `/api/v1/sessions/${id}/analyses`, undefined, null)).status).toBe(401);
  }, 60_000);

  it("a camera showing no face: faces 0 and no expression, then one no_face once the absence lasts", async () => {
    const { host, listener } = await meetingWithListener();
    const heard = collect<ExpressionMessage>(listener, "expression");
    const absences = collect<NoFaceMessage>(listener, "no_face");
    const sent = await streamFrames(host, cat.jpeg, { count: 2, until: () => absences.length === 0 });
    await eventually(() => absences[0], 20_000);
    expect(absences).toHaveLength(1);
    const absence = absences[0];
    expect(absence?.participant_id).toBe("host");
    expect(absence?.absent_ms).toBeGreaterThanOrEqual(NO_FACE_AFTER_MS);
    expect(heard.length).toBeGreaterThanOrEqual(1);
    expect(heard.every((m) => m.faces === 0 && m.expression === null && m.scores === null)).toBe(true);
    // Unchanged and under 2 s apart: not every frame is announced.
    expect(heard.length).toBeLessThan(sent);
    expect(participantView(listener, "host")).toMatchObject({ faces: 0, expression: "" });
  }, 60_000);

  it("two rooms filming at once get only their own results", async () => {
    const a = await meetingWithListener();
    const b = await meetingWithListener();
    const atA = collect<ExpressionMessage>(a.listener, "expression");
    const atB = collect<ExpressionMessage>(b.listener, "expression");
    await Promise.all([streamFrames(a.host, face.jpeg, { count: 3 }), streamFrames(b.host, cat.jpeg, { count: 3 })]);
    await eventually(() => (atA.length > 0 && atB.length > 0 ? true : undefined), 20_000);
    expect(atA.every((m) => m.faces === 1)).toBe(true);
    expect(atB.every((m) => m.faces === 0)).toBe(true);
  }, 60_000);

  it("bad frames get a stable code to their sender only; the room and its other cameras keep being analysed", async () => {
    const { id, host, listener } = await meetingWithListener();
    const observer = await t.join(id, await t.token(id, "watcher", "observer"));
    const fast = await t.join(id, await t.token(id, "fast", "participant"));
    const errorsOf = (room: Room) => collect<ErrorReply>(room, "error");
    const [hostErrors, listenerErrors, observerErrors, fastErrors] = [errorsOf(host), errorsOf(listener), errorsOf(observer), errorsOf(fast)];
    const heard = collect<ExpressionMessage>(listener, "expression");

    host.sendBytes("video", new TextEncoder().encode("not a jpeg at all"));
    const oversized = new Uint8Array(300 * 1024);
    oversized.set(face.jpeg.subarray(0, 2));
    host.sendBytes("video", oversized);
    observer.sendBytes("video", face.jpeg);
    // Three at once against a budget of 2 a second: the third is over the rate.
    for (let i = 0; i < 3; i += 1) fast.sendBytes("video", face.jpeg);
    await eventually(() => (hostErrors.length === 2 && observerErrors.length === 1 && fastErrors.length === 1 ? true : undefined));
    expect(hostErrors.map((e) => [e.type, e.code])).toEqual([["video", "invalid_video"], ["video", "invalid_video"]]);
    expect(observerErrors.map((e) => [e.type, e.code, e.message])).toEqual([["video", "invalid_video", "observers do not send video"]]);
    expect(fastErrors.map((e) => [e.type, e.code])).toEqual([["video", "rate_limited"]]);

    // A truncated JPEG passes the room's check; the pool refuses it, to its sender alone, then takes the next frame.
    const cut = await t.join(id, await t.token(id, "cut", "participant"));
    const cutErrors = errorsOf(cut);
    cut.sendBytes("video", face.jpeg.subarray(0, Math.floor(face.jpeg.byteLength / 2)));
    await eventually(() => (cutErrors.length === 1 ? true : undefined), 20_000);
    expect(cutErrors[0]).toMatchObject({ type: "video", code: "invalid_video" });
    // Sent after the answer: sent at once, it would replace the bad frame in the pool's queue (keep-newest).
    cut.sendBytes("video", face.jpeg);
    await eventually(() => heard.find((m) => m.participant_id === "cut"), 20_000);
    // The fast participant's accepted frames were analysed too.
    await eventually(() => heard.find((m) => m.participant_id === "fast"), 20_000);
    expect(heard.some((m) => m.participant_id === "host")).toBe(false);
    expect(listenerErrors).toEqual([]);
    expect(hostErrors).toHaveLength(2);
    expect([host, listener, observer, fast, cut].every((room) => room.connection.isOpen)).toBe(true);
  }, 60_000);
});
