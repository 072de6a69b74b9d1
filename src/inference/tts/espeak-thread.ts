import { threadId } from "node:worker_threads";
import { serveRequestsInOrder, type ThreadAnswer } from "../request-thread-port.js";
import type { TtsUtterance } from "../registry/model-module.js";
import {
  espeakVoices,
  espeakWav,
  holdInstance,
  loadEspeakRuntime,
  wavPcm16,
  type EspeakRuntime,
  type EspeakVoices,
  type HeldInstance,
} from "./espeak-runtime.js";

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

/** Utterances on this thread, each on an instance made while the thread waited (requests are served in order). */
class HeldInstances {
  readonly #runtime: EspeakRuntime;
  #next: Promise<HeldInstance> | null = null;

  constructor(runtime: EspeakRuntime) {
    this.#runtime = runtime;
  }

  async wav(utterance: TtsUtterance): Promise<Uint8Array> {
    const held = this.#next ?? holdInstance(this.#runtime);
    this.#next = null;
    try {
      return await espeakWav(this.#runtime, utterance, held);
    } finally {
      // Made after this run, not during it: the two would share the thread.
      const next = holdInstance(this.#runtime);
      next.catch(() => {
        if (this.#next === next) this.#next = null;
      });
      this.#next = next;
    }
  }
}

async function handle(runtime: EspeakRuntime, instances: HeldInstances, request: EspeakRequest): Promise<ThreadAnswer<EspeakReply>> {
  try {
    if (request.kind === "voices") return { reply: { ok: true, kind: "voices", ...(await espeakVoices(runtime)) } };
    const startedMs = performance.now();
    const { pcm16, sampleRate } = wavPcm16(await instances.wav(request));
    const synthMs = performance.now() - startedMs;
    return { reply: { ok: true, kind: "speak", pcm16, sampleRate, synthMs, thread: threadId }, transfer: [pcm16.buffer as ArrayBuffer] };
  } catch (error) {
    return { reply: { ok: false, message: error instanceof Error ? error.message : String(error), thread: threadId } };
  }
}

loadEspeakRuntime().then(
  (runtime) => {
    const instances = new HeldInstances(runtime);
    serveRequestsInOrder<EspeakRequest, EspeakReply>((request) => handle(runtime, instances, request));
  },
  (error: unknown) => {
    const message = `eSpeak NG could not load: ${error instanceof Error ? error.message : String(error)}`;
    serveRequestsInOrder<EspeakRequest, EspeakReply>(() => Promise.resolve({ reply: { ok: false, message, thread: threadId } }));
  },
);
