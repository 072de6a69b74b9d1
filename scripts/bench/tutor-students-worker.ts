import { parentPort, workerData } from "node:worker_threads";
import { z } from "zod";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { installWebSocketGlobal } from "../../src/node-websocket.js";
import { LlmTestServer, type RecordedRequest } from "../../test/support/llm-test-server.js";
import { mulberry32 } from "../../test/support/seeded-random.js";
import { createSpeechSynthesizer } from "../../test/support/speech.js";
import { micUtterance, type MicUtterance } from "./tutor-microphone.js";
import { QUESTIONS, sessionPlan, type PlannedQuestion } from "./tutor-script.js";
import { scrapeStages, stageDelta, type StageSnapshot } from "./tutor-stage-metrics.js";
import { Student, type BenchApi, type StudentResult } from "./tutor-student.js";

/**
 * Worker-thread entry: the students' side of the bench, on an event loop of its own (as the students' browsers and
 * the LLM server are other machines): the stand-in OpenAI-compatible LLM (test/support/llm-test-server.ts, streaming
 * at the bench's pace), eSpeak NG speech for every question, and the student clients (@colyseus/sdk). The engine
 * runs on the main thread; this side measures on its own clock.
 */

export interface LevelRequest {
  type: "level";
  label: string;
  sessions: number;
  turns: number;
  bargeIns: number;
  thinkMs: number;
  bargeInAfterMs: number;
  /** Sessions start their first question within this window, spread (seeded) so they do not speak in lockstep. */
  startSpreadMs: number;
  seed: number;
  /** The tutor profile's `turn` settings for the level's tutors (absent fields: the defaults). */
  turn: Record<string, number>;
  engine: { httpUrl: string; engineUrl: string; adminKey: string };
}

export interface LevelRaw {
  label: string;
  sessions: number;
  students: StudentResult[];
  /** The pool's stages over the whole level (every utterance of it), from `/metrics` before and after. */
  stages: StageSnapshot | null;
  wallMs: number;
  /** Sessions that could not be set up, with why. */
  failures: string[];
}

export type StudentsMessage =
  | { type: "ready"; llmUrl: string }
  | { type: "progress"; line: string }
  | { type: "level"; raw: LevelRaw }
  | { type: "failed"; message: string }
  | { type: "closed" };

const settings = z.object({ tokenIntervalMs: z.number().int().min(0) }).parse(workerData);
const MARKER = /\[bench:([A-Za-z0-9_-]+)\]/u;
/** Bound on every wait for the engine (a transcript, a reply, an interruption). */
const WAIT_MS = 30_000;

/** What each bench tutor answers next, by tutor id (a session's own: the marker in its system prompt names it). */
class ReplyBook {
  readonly #next = new Map<string, string>();

  set(tutorId: string, reply: string): void {
    this.#next.set(tutorId, reply);
  }

  replyTo(request: RecordedRequest): string {
    const system = request.messages.find((message) => message.role === "system")?.content ?? "";
    const tutorId = MARKER.exec(system)?.[1];
    return (tutorId === undefined ? undefined : this.#next.get(tutorId)) ?? QUESTIONS[0]?.reply ?? "";
  }
}

class Voices {
  readonly #synthesizer = createSpeechSynthesizer();
  readonly #cache = new Map<string, MicUtterance>();

  /** Synthesizes what the plans say, one utterance at a time (in parallel they only contend for the cores). */
  async prepare(plans: PlannedQuestion[][]): Promise<void> {
    for (const question of plans.flat()) {
      const key = keyOf(question);
      if (this.#cache.has(key)) continue;
      const speech = await this.#synthesizer.synthesize(question.text, question.voice);
      this.#cache.set(key, micUtterance(float32ToPcm16(speech.samples16k)));
    }
  }

  of(question: PlannedQuestion): MicUtterance {
    const utterance = this.#cache.get(keyOf(question));
    if (utterance === undefined) throw new Error(`no audio prepared for "${question.text}"`);
    return utterance;
  }
}

function keyOf(question: PlannedQuestion): string {
  return `${question.voice}|${question.text}`;
}

function benchApi(engine: LevelRequest["engine"]): BenchApi {
  return {
    httpUrl: engine.httpUrl,
    engineUrl: engine.engineUrl,
    async call(method, path, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${engine.adminKey}` };
      if (body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(`${engine.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      return { status: response.status, body: text === "" ? null : (JSON.parse(text) as unknown) };
    },
  };
}

/** A tutor of the level's own: no greeting (the first sound is the student's), the level's turn settings. */
async function putTutor(api: BenchApi, tutorId: string, turn: Record<string, number>): Promise<void> {
  const profile = { name: "Bench tutor", system_prompt: `You are a friendly, patient voice tutor. [bench:${tutorId}]`, greeting: "", turn };
  const put = await api.call("PUT", `/api/v1/tutors/${tutorId}`, profile);
  if (put.status !== 201 && put.status !== 200) throw new Error(`PUT tutor answered ${put.status}: ${JSON.stringify(put.body)}`);
  // Its instance made and its voice tried before the session: a first session's set-up is not a turn's latency.
  const prewarm = await api.call("POST", `/api/v1/tutors/${tutorId}/prewarm`);
  if ((prewarm.body as { ready?: boolean } | null)?.ready !== true) throw new Error(`prewarm not ready: ${JSON.stringify(prewarm.body)}`);
}

async function runLevel(request: LevelRequest, book: ReplyBook, voices: Voices, progress: (line: string) => void): Promise<LevelRaw> {
  const api = benchApi(request.engine);
  const random = mulberry32(request.seed);
  const plans = Array.from({ length: request.sessions }, (_, session) => sessionPlan(session, request.turns, request.bargeIns));
  await voices.prepare(plans);
  const failures: string[] = [];
  const students: Student[] = [];
  await Promise.all(
    plans.map(async (plan, session) => {
      const tutorId = `bench-${request.label}-${session}`;
      try {
        await putTutor(api, tutorId, request.turn);
        const student = new Student(api, {
          session,
          tutorId,
          plan,
          audio: (question) => voices.of(question),
          setReply: (reply) => book.set(tutorId, reply),
          startDelayMs: session === 0 ? 0 : Math.round(random() * request.startSpreadMs),
          thinkMs: request.thinkMs,
          bargeInAfterMs: request.bargeInAfterMs,
          waitMs: WAIT_MS,
        });
        await student.join();
        students.push(student);
      } catch (error) {
        failures.push(`session ${session}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  progress(`${request.label}: ${students.length} of ${request.sessions} sessions joined; ${request.turns} questions each`);
  const before = await scrapeStages(api.httpUrl).catch(() => null);
  const startedMs = performance.now();
  const results = await Promise.all(students.map((student) => student.run()));
  const wallMs = Math.round(performance.now() - startedMs);
  const after = await scrapeStages(api.httpUrl).catch(() => null);
  await Promise.all(students.map((student) => student.close()));
  results.sort((a, b) => a.session - b.session);
  return { label: request.label, sessions: request.sessions, students: results, stages: before === null || after === null ? null : stageDelta(before, after), wallMs, failures };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("tutor-students-worker runs as a worker thread");
  installWebSocketGlobal();
  const post = (message: StudentsMessage) => port.postMessage(message);
  const book = new ReplyBook();
  const voices = new Voices();
  const llm = await LlmTestServer.start({ tokenIntervalMs: settings.tokenIntervalMs, reply: (request) => book.replyTo(request) });
  const levelRequest = z.object({ type: z.literal("level") });
  port.on("message", (message: unknown) => {
    if (levelRequest.safeParse(message).success) {
      const request = message as LevelRequest;
      runLevel(request, book, voices, (line) => post({ type: "progress", line })).then(
        (raw) => post({ type: "level", raw }),
        (error: unknown) => post({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
    } else if (z.object({ type: z.literal("close") }).safeParse(message).success) {
      void llm.close().finally(() => post({ type: "closed" }));
    }
  });
  post({ type: "ready", llmUrl: llm.baseUrl });
}

main().catch((error: unknown) => {
  parentPort?.postMessage({ type: "failed", message: error instanceof Error ? error.message : String(error) } satisfies StudentsMessage);
});
