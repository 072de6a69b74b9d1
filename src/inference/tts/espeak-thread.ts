import { threadId } from "node:worker_threads";
import { serveRequestsInOrder, type ThreadAnswer } from "../request-thread-port.js";
import type { TtsUtterance } from "../registry/model-module.js";
import { espeakVoices, espeakWav, loadEspeakRuntime, wavPcm16, type EspeakRuntime, type EspeakVoices } from "./espeak-runtime.js";

/**
 * A speech synthesis thread (`espeakTtsModel` starts one or two): eSpeak NG beside the pool's event loop, so an
 * utterance's 70–140 ms never delays a VAD batch or a video frame there. The wasm is compiled once, when the thread
 * starts; requests sent meanwhile wait in the thread's port. One utterance at a time, in order. If eSpeak cannot
 * load, every request is answered with why.
 */
export type EspeakRequest = { kind: "voices" } | ({ kind: "speak" } & TtsUtterance);

export type EspeakReply =
  | ({ ok: true; kind: "voices" } & EspeakVoices)
  /** `synthMs`: the synthesis on this thread (instantiation, the program's run, reading its WAV). */
  | { ok: true; kind: "speak"; pcm16: Int16Array; sampleRate: number; synthMs: number; thread: number }
  | { ok: false; message: string; thread: number };

async function handle(runtime: EspeakRuntime, request: EspeakRequest): Promise<ThreadAnswer<EspeakReply>> {
  try {
    if (request.kind === "voices") return { reply: { ok: true, kind: "voices", ...(await espeakVoices(runtime)) } };
    const startedMs = performance.now();
    const { pcm16, sampleRate } = wavPcm16(await espeakWav(runtime, request));
    const synthMs = performance.now() - startedMs;
    return { reply: { ok: true, kind: "speak", pcm16, sampleRate, synthMs, thread: threadId }, transfer: [pcm16.buffer as ArrayBuffer] };
  } catch (error) {
    return { reply: { ok: false, message: error instanceof Error ? error.message : String(error), thread: threadId } };
  }
}

loadEspeakRuntime().then(
  (runtime) => serveRequestsInOrder<EspeakRequest, EspeakReply>((request) => handle(runtime, request)),
  (error: unknown) => {
    const message = `eSpeak NG could not load: ${error instanceof Error ? error.message : String(error)}`;
    serveRequestsInOrder<EspeakRequest, EspeakReply>(() => Promise.resolve({ reply: { ok: false, message, thread: threadId } }));
  },
);
