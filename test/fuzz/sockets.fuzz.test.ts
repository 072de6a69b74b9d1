import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { transcriptMessage, type TranscriptMessage } from "../../src/protocol/server-messages.js";
import { spawnEngine, type EngineProcess } from "../support/engine-process.js";
import { debuggerUrlIn, inspectHeap, type HeapInspector } from "../support/heap-inspector.js";
import { joinRoom } from "../support/join-room.js";
import { streamPcm } from "../support/room-audio-client.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { TokenBucket } from "../../src/token-bucket.js";
import { MIN_CORPUS_ENTRIES, readCorpus } from "./corpus.js";
import { roomSurface } from "./room-surface.js";
import { SocketReplayer } from "./socket-replay.js";
import { websocketSurface } from "./websocket-surface.js";

/**
 * The room and raw-WebSocket corpora replayed against a real `npm start` process while a well-behaved participant of
 * the same meeting streams real speech: every input gets a stable code or a documented close, the process stays up,
 * the speaker gets a transcript of every utterance, and the heap comes back to where it was.
 */

const ADMIN_KEY = "fuzz-admin-key-0123456789abcdef";
/** Answers an input may get (the error table: frame_too_large 1009, protocol_violation 4002; 4000 answers a LEAVE_ROOM frame). */
const DOCUMENTED = /^(error:[a-z_]+|close:(1009|4000|4002)|refused:\d+|response|accepted|dropped_before_ack|ping_only)$/;
/**
 * How much the engine's heap, after a full collection, may stay above its level before the replay: room for caches
 * that warm up (the transcript segments of the speaker, the participants' database rows' statements). A leak of even
 * 10 KB per input would keep 12 MB of the corpus.
 */
const HEAP_SLACK_BYTES = 8 * 1024 * 1024;

let engine: EngineProcess;
let dataDir: string;
let sessionId = "";
let speaker: Room;
const heard: TranscriptMessage[] = [];
let spoken = 0;
let speaking: Promise<void> = Promise.resolve();
let keepSpeaking = true;
let heapBefore = 0;
let heap: HeapInspector;
const waiters: { count: number; resolve: () => void }[] = [];

/** Resolves once the speaker has heard `count` final transcripts of its own speech. */
function heardAtLeast(count: number): Promise<void> {
  return heard.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }));
}

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${engine.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.json();
}


/**
 * The harness asks for a token per input; the API allows one address 50 requests a second (burst 100), and a fast
 * replay (Redis presence, Postgres) asked 100 a second and got 429. It keeps under the limit as a client must.
 */
const tokenPace = new TokenBucket({ ratePerSecond: 40, burst: 40 });
const TOKEN_PACE_STEP_MS = 25;

async function pacedTokenRequest(): Promise<void> {
  while (!tokenPace.take()) await new Promise((resolve) => setTimeout(resolve, TOKEN_PACE_STEP_MS));
}

let participants = 0;
const replayer = () =>
  new SocketReplayer({
    httpUrl: engine.httpUrl,
    engineUrl: engine.engineUrl,
    sessionId,
    async token(role) {
      participants += 1;
      await pacedTokenRequest();
      const issued = await api("POST", `/api/v1/sessions/${sessionId}/tokens`, { participant_id: `fuzz-${participants}`, role });
      const parsed = z.object({ token: z.string() }).safeParse(issued);
      if (!parsed.success) throw new Error(`no token for fuzz-${participants}: ${JSON.stringify(issued)}`);
      return parsed.data.token;
    },
  });

/** Inputs replayed side by side, each lane on its own connections (an input is still judged alone on its own). */
const LANES = 4;

/** Replays a whole corpus; returns the count of each answer. */
async function replayAll(entries: Parameters<SocketReplayer["replay"]>[0][]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const lane = async (index: number) => {
    const r = replayer();
    try {
      for (let i = index; i < entries.length; i += LANES) {
        const entry = entries[i] as (typeof entries)[number];
        for (const outcome of await r.replay(entry)) {
          if (!DOCUMENTED.test(outcome)) throw new Error(`${entry.id} (${entry.note}) got ${outcome}`);
          counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
        }
      }
    } finally {
      r.close();
    }
  };
  await Promise.all(Array.from({ length: LANES }, (_, index) => lane(index)));
  return counts;
}

beforeAll(async () => {
  dataDir = await mkdtemp(joinPath(tmpdir(), "engine-fuzz-"));
  engine = await spawnEngine({ DATA_DIR: dataDir, ADMIN_API_KEY: ADMIN_KEY, ASR_LANES: "1", RECONNECT_WINDOW_MS: "0", NODE_OPTIONS: "--inspect=127.0.0.1:0" }, 60_000);
  const created = z.object({ session_id: z.string(), engine_token: z.string() }).parse(await api("POST", "/api/v1/sessions", { kind: "meeting", max_participants: 100 }));
  sessionId = created.session_id;
  // Relayed fuzz input reaches the speaker too; it ignores all but transcripts.
  speaker = await joinRoom(engine.engineUrl, sessionId, created.engine_token);
  speaker.onMessage("transcript", (message: unknown) => {
    const parsed = transcriptMessage.parse(message);
    if (!parsed.final || parsed.participant_id !== "host") return;
    heard.push(parsed);
    for (const waiter of waiters.filter((w) => heard.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const synthesizer = createSpeechSynthesizer();
  const utterance = float32ToPcm16(padWithSilence((await synthesizer.synthesize("The quarterly numbers look good to me.")).samples16k, 300, 1_200));
  // The well-behaved participant talks the whole time the corpora are replayed.
  speaking = (async () => {
    while (keepSpeaking) {
      await streamPcm(speaker, utterance);
      spoken += 1;
    }
  })();
  // The baseline: the speaker's first utterance transcribed, the models warm.
  await heardAtLeast(1);
  heap = await inspectHeap(debuggerUrlIn(engine.output));
  heapBefore = await heap.usedAfterGc();
}, 120_000);

afterAll(async () => {
  keepSpeaking = false;
  await speaking;
  await speaker?.leave();
  heap?.close();
  engine?.child.kill("SIGTERM");
  await engine?.exited;
  await rm(dataDir, { recursive: true, force: true });
});

describe("hostile room and WebSocket input, replayed from the committed corpus", () => {
  it.each([
    { surface: roomSurface, name: "room messages of every type" },
    { surface: websocketSurface, name: "raw WebSocket frames" },
  ])("$name: a stable code or a documented close for each, the engine up, the speaker heard, the heap back", async ({ surface }) => {
    const entries = readCorpus(surface);
    expect(entries.length).toBeGreaterThanOrEqual(MIN_CORPUS_ENTRIES);
    const counts = await replayAll(entries);
    console.log(`${surface.name}: ${entries.length} inputs →`, JSON.stringify(Object.fromEntries([...counts].sort())));
    expect((await fetch(`${engine.httpUrl}/health`)).status).toBe(200);
    expect(engine.child.exitCode).toBeNull();

    // Every utterance the speaker finished while the corpus was replayed is transcribed, for it and the room.
    const finished = spoken;
    await heardAtLeast(finished);
    expect(heard.every((t) => /quarterly|numbers/i.test(t.text))).toBe(true);

    const heapAfter = await heap.usedAfterGc();
    console.log(`${surface.name}: engine heap after a full GC ${(heapBefore / 2 ** 20).toFixed(1)} → ${(heapAfter / 2 ** 20).toFixed(1)} MiB`);
    expect(heapAfter).toBeLessThan(heapBefore + HEAP_SLACK_BYTES);
  }, 600_000);
});
