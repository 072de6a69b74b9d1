import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { pcm16ChunksToWav } from "../../src/inference/audio/wav.js";
import type { ServerMessages } from "../../src/protocol/server-messages.js";
import { wordErrorRate } from "../../src/inference/quality/word-error-rate.js";
import { eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { LlmTestServer } from "../support/llm-test-server.js";
import { streamPcm } from "../support/room-audio-client.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

type Reply = ServerMessages["tutor.reply"];
type Interrupted = ServerMessages["tutor.interrupted"];
type ErrorMessage = ServerMessages["error"];

/** Everything a student's client receives of its tutor, in arrival order. */
interface TutorLog {
  events: ({ kind: "reply"; message: Reply } | { kind: "audio"; bytes: number } | { kind: "interrupted"; message: Interrupted } | { kind: "error"; message: ErrorMessage })[];
  audio: Uint8Array[];
  finals(): Reply[];
}

function listen(room: Room): TutorLog {
  const log: TutorLog = {
    events: [],
    audio: [],
    finals: () => log.events.flatMap((event) => (event.kind === "reply" && event.message.final ? [event.message] : [])),
  };
  room.onMessage("tutor.reply", (message: Reply) => log.events.push({ kind: "reply", message }));
  room.onMessage("tutor.audio", (bytes: Uint8Array) => {
    log.audio.push(new Uint8Array(bytes));
    log.events.push({ kind: "audio", bytes: bytes.byteLength });
  });
  room.onMessage("tutor.interrupted", (message: Interrupted) => log.events.push({ kind: "interrupted", message }));
  room.onMessage("error", (message: ErrorMessage) => log.events.push({ kind: "error", message }));
  return log;
}

const tutorState = (room: Room) => (room.state as { tutorState?: string }).tutorState;

let t: TestEngine;
let llm: LlmTestServer;
let question: Uint8Array;

beforeAll(async () => {
  llm = await LlmTestServer.start({ tokenIntervalMs: 10 });
  t = await startTestEngine({ llmUrl: llm.baseUrl, llmModel: "test-model", defaultTutor: { greeting: "" } });
  const synthesized = await createSpeechSynthesizer().synthesize("What is the capital of France?");
  question = float32ToPcm16(padWithSilence(synthesized.samples16k, 600, 1_500));
  await expectModelsLoaded(t);
}, 120_000);

afterAll(async () => {
  await t.close();
  await llm.close();
});

async function tutoringSession(body: Record<string, unknown> = {}): Promise<{ id: string; room: Room; log: TutorLog }> {
  const { id, token } = await t.createSession({ kind: "tutoring", ...body });
  const room = await t.join(id, token);
  const log = listen(room);
  return { id, room, log };
}

describe("the tutor", () => {
  it("answers a typed question: streamed text, then speech that says it, then listens; the turn is stored", async () => {
    llm.options.reply = () => "Paris is the capital of France. It sits on the river Seine.";
    const { id, room, log } = await tutoringSession({ tutor_id: "geo" });
    await eventually(() => (tutorState(room) === "listening" ? true : undefined));
    room.send("text", { content: "What is the capital of France?" });
    await eventually(() => (log.finals().length === 1 && tutorState(room) === "listening" && log.audio.length > 0 ? true : undefined), 20_000);

    const deltas = log.events.flatMap((event) => (event.kind === "reply" && !event.message.final ? [event.message.delta ?? ""] : []));
    const final = log.finals()[0];
    expect(deltas.join("")).toBe("Paris is the capital of France. It sits on the river Seine.");
    expect(final).toMatchObject({ kind: "answer", text: "Paris is the capital of France. It sits on the river Seine.", sources: [] });
    // A message stating the audio's rate comes before the first audio.
    const firstAudio = log.events.findIndex((event) => event.kind === "audio");
    const rated = log.events.findIndex((event) => event.kind === "reply" && event.message.sample_rate !== null);
    expect(rated).toBeGreaterThanOrEqual(0);
    expect(rated).toBeLessThan(firstAudio);
    const ratedEvent = log.events[rated];
    const sampleRate = ratedEvent?.kind === "reply" ? (ratedEvent.message.sample_rate ?? 0) : 0;
    expect(sampleRate).toBe(22_050);

    // The engine's own ASR hears the reply's words in the tutor's audio.
    const bytes = log.audio.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const heard = await t.engine.inference.transcribeWav(pcm16ChunksToWav(log.audio, bytes, sampleRate));
    expect(wordErrorRate("Paris is the capital of France. It sits on the river Seine.", heard.text).wer).toBeLessThan(0.35);

    // The model got the profile's prompt and the question; the conversation is stored turn by turn.
    const request = llm.requests.at(-1);
    expect(request?.messages[0]?.role).toBe("system");
    expect(request?.messages.at(-1)).toEqual({ role: "user", content: "What is the capital of France?" });
    const turns = await eventually(async () => {
      const body = (await t.api("GET", `/api/v1/sessions/${id}/turns`)).body as { items: { role: string; text: string; outcome: string; details: { timings?: Record<string, number> } }[] };
      return body.items.length === 2 ? body.items : undefined;
    });
    expect(turns.map((turn) => [turn.role, turn.outcome])).toEqual([["student", "completed"], ["tutor", "completed"]]);
    expect(turns[1]?.details.timings?.first_audio_ms).toBeGreaterThan(0);
    await room.leave();
  });

  it("answers a spoken question: the student's transcript starts the turn", async () => {
    llm.options.reply = () => "The capital of France is Paris.";
    const { room, log } = await tutoringSession();
    const transcripts: string[] = [];
    room.onMessage("transcript", (message: { text: string; final: boolean }) => {
      if (message.final) transcripts.push(message.text);
    });
    await streamPcm(room, question);
    await eventually(() => (log.finals().length === 1 && tutorState(room) === "listening" ? true : undefined), 30_000);
    expect(transcripts.join(" ").toLowerCase()).toContain("capital of france");
    expect(llm.requests.at(-1)?.messages.at(-1)?.content.toLowerCase()).toContain("capital of france");
    expect(log.audio.length).toBeGreaterThan(0);
    await room.leave();
  });

  it("barge-in: the student speaking mid-reply aborts the LLM request, stops the audio, stores the turn as interrupted", async () => {
    const long = Array.from({ length: 12 }, (_, i) => `This is sentence number ${i + 1} of a long explanation about rivers.`).join(" ");
    llm.options.reply = () => long;
    llm.options.tokenIntervalMs = 60;
    try {
      const { id, room, log } = await tutoringSession();
      room.send("text", { content: "Tell me about rivers." });
      await eventually(() => (log.audio.length > 0 ? true : undefined), 20_000);
      const closes = llm.clientCloses.length;
      await streamPcm(room, question, { realTime: true });
      const interrupted = await eventually(() => log.events.find((event) => event.kind === "interrupted"), 20_000);
      expect(interrupted.message).toMatchObject({ reason: "barge_in" });
      // The request was still streaming: the server saw its connection closed.
      expect(llm.clientCloses.length).toBe(closes + 1);
      // Nothing of the interrupted turn is sent after `tutor.interrupted`.
      const at = log.events.indexOf(interrupted);
      const turnId = interrupted.message.turn_id;
      const after = log.events.slice(at + 1);
      const nextTurn = after.findIndex((event) => event.kind === "reply" && event.message.turn_id > turnId);
      expect(after.slice(0, nextTurn === -1 ? undefined : nextTurn).some((event) => event.kind === "audio")).toBe(false);
      expect(after.some((event) => event.kind === "reply" && event.message.turn_id === turnId)).toBe(false);
      const turns = await eventually(async () => {
        const body = (await t.api("GET", `/api/v1/sessions/${id}/turns`)).body as { items: { turn_id: number; role: string; outcome: string; text: string; details: { played_ms?: number } }[] };
        const tutor = body.items.find((turn) => turn.turn_id === turnId && turn.role === "tutor");
        return tutor;
      });
      expect(turns.outcome).toBe("interrupted");
      expect(turns.details.played_ms).toBeGreaterThan(0);
      expect(long.startsWith(turns.text)).toBe(true);
      await room.leave();
    } finally {
      llm.options.tokenIntervalMs = 10;
    }
  });

  it("two tutors' sessions keep separate histories, each session its own", async () => {
    llm.options.reply = (request) => `Noted: ${request.messages.at(-1)?.content ?? ""}.`;
    const a = await tutoringSession({ tutor_id: "alpha" });
    const b = await tutoringSession({ tutor_id: "beta" });
    a.room.send("text", { content: "My name is Ada." });
    await eventually(() => (a.log.finals().length === 1 && tutorState(a.room) === "listening" ? true : undefined), 20_000);
    b.room.send("text", { content: "My name is Bob." });
    await eventually(() => (b.log.finals().length === 1 && tutorState(b.room) === "listening" ? true : undefined), 20_000);
    a.room.send("text", { content: "What is my name?" });
    const second = await eventually(() => llm.requests.find((request) => request.messages.at(-1)?.content === "What is my name?"), 20_000);
    const contents = second.messages.map((message) => message.content).join("\n");
    expect(contents).toContain("My name is Ada.");
    expect(contents).not.toContain("Bob");
    await Promise.all([a.room.leave(), b.room.leave()]);
  });

  it("a knowledge-base passage reaches the prompt and the reply lists it as a source", async () => {
    llm.options.reply = () => "Mitochondria make energy for the cell.";
    const put = await t.api("PUT", "/api/v1/knowledge-bases/bio/documents/cells", {
      title: "Cells",
      format: "markdown",
      content: "# Cells\n\nThe mitochondria is the powerhouse of the cell: it makes ATP.\n\n# Plants\n\nChloroplasts capture light.",
    });
    expect(put.status).toBe(201);
    const { room, log } = await tutoringSession({ kb_id: "bio" });
    room.send("text", { content: "What do mitochondria do?" });
    await eventually(() => (log.finals().length === 1 ? true : undefined), 20_000);
    const request = llm.requests.at(-1);
    expect(request?.messages[0]?.content).toContain("powerhouse of the cell");
    expect(log.finals()[0]?.sources?.[0]).toMatchObject({ doc_id: "cells" });
    await room.leave();
  });

  it("a tutor with a greeting says it when the student joins", async () => {
    expect((await t.api("PUT", "/api/v1/tutors/greeter", { greeting: "Welcome to your lesson." })).status).toBe(201);
    const { room, log } = await tutoringSession({ tutor_id: "greeter" });
    await eventually(() => (log.finals().length === 1 && log.audio.length > 0 ? true : undefined), 20_000);
    expect(log.finals()[0]).toMatchObject({ kind: "greeting", text: "Welcome to your lesson." });
    await eventually(() => (tutorState(room) === "listening" ? true : undefined), 20_000);
    await room.leave();
  });

  it("prewarm makes the tutor's instance and tries its voice and LLM; its sessions share it; a changed profile retires it", async () => {
    const prewarmed = await t.api("POST", "/api/v1/tutors/physics/prewarm");
    expect(prewarmed).toMatchObject({
      status: 200,
      body: { tutor_id: "physics", profile: "default", ready: true, voice: { ok: true, sample_rate: 22_050 }, llm: { ok: true, model: "test-model", model_listed: true } },
    });
    const before = t.engine.tutorInstances.size;
    const a = await tutoringSession({ tutor_id: "physics" });
    const b = await tutoringSession({ tutor_id: "physics" });
    expect(t.engine.tutorInstances.size).toBe(before);
    const metrics = await (await fetch(`${t.engine.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/engine_tutor_instance_lookups_total\{result="hit"\} [1-9]/);
    const misses = async () => Number(/engine_tutor_instance_lookups_total\{result="miss"\} (\d+)/.exec(await (await fetch(`${t.engine.httpUrl}/metrics`)).text())?.[1]);
    const missesBefore = await misses();
    expect((await t.api("PUT", "/api/v1/tutors/physics", { name: "Newton", llm: { temperature: 0.1 } })).status).toBe(201);
    // The live sessions keep their instance; the next session of the tutor gets a new one, with the new profile.
    const c = await tutoringSession({ tutor_id: "physics" });
    expect(await misses()).toBe(missesBefore + 1);
    c.room.send("text", { content: "Who are you?" });
    const request = await eventually(() => llm.requests.find((r) => r.messages.at(-1)?.content === "Who are you?"), 20_000);
    expect(request.temperature).toBe(0.1);
    await Promise.all([a.room.leave(), b.room.leave(), c.room.leave()]);
  });

  it("an LLM that fails: the student gets llm_unavailable, nothing pretends to be a reply, the tutor listens again", async () => {
    llm.failures.push({ kind: "http", status: 500 });
    const { room, log } = await tutoringSession();
    room.send("text", { content: "Are you there?" });
    const error = await eventually(() => log.events.find((event) => event.kind === "error"), 20_000);
    expect(error.message).toMatchObject({ code: "llm_unavailable", type: "text" });
    expect(log.finals()).toEqual([]);
    expect(log.audio).toEqual([]);
    await eventually(() => (tutorState(room) === "listening" ? true : undefined));
    await room.leave();
  });
});
