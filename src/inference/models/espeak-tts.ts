import { PoolError } from "../pool-error.js";
import { SYNTHESIS_DEFAULTS } from "../pool-types.js";
import type { ModelModule, ModelPlacement, TtsModel } from "../registry/model-module.js";
import { RequestThreads } from "../request-threads.js";
import type { EspeakReply, EspeakRequest } from "../tts/espeak-thread.js";
import { espeakWasmFile, missingPackagedFile } from "./model-files.js";

/** The most synthesis threads a pool runs, whatever is asked: each holds its own compiled copy of the 18 MB wasm. */
const MAX_TTS_THREADS = 4;
/** What the warm-up speaks on each thread. */
const WARMUP_TEXT = "The pool is ready.";

/**
 * Synthesis threads for `cores` CPUs: one on two cores (the pool's event loop and Whisper need the other), two above.
 * A thread speaks one utterance at a time; more requests wait in the pool's queue.
 */
export function defaultTtsThreads(cores: number): number {
  return cores <= 2 ? 1 : 2;
}

function ttsPlacement(cores: number, requested: Partial<ModelPlacement>): ModelPlacement {
  const instances = Math.max(1, Math.min(MAX_TTS_THREADS, Math.floor(requested.instances ?? defaultTtsThreads(cores))));
  return { instances, threads: 1 };
}

/**
 * eSpeak NG in the registry (`espeak-ng`, GPL-3.0-or-later: kept behind `TtsModel`, and the package is imported by
 * tts/espeak-runtime.ts alone). Unbatched: each utterance is one run of the program on a thread of its own
 * (`instances` threads of `RequestThreads`), never on the pool's event loop. Its voices are listed once at load.
 */
export const ESPEAK_NG_MODULE: ModelModule<"tts"> = {
  name: "espeak_ng",
  task: "tts",
  runtime: "wasm",
  batching: "none",
  placement: ttsPlacement,
  unsupported: () => missingPackagedFile(espeakWasmFile),
  async load({ logger, placement }) {
    const threads = new RequestThreads<EspeakRequest, EspeakReply>(logger, {
      callerUrl: import.meta.url,
      entry: "../tts/espeak-thread",
      name: "speech synthesis",
      threads: placement.instances,
    });
    const listed = await threads.request({ kind: "voices" }).catch(async (error: unknown) => {
      await threads.close();
      throw error;
    });
    if (!listed.ok || listed.kind !== "voices") {
      await threads.close();
      throw new Error(`eSpeak NG did not list its voices: ${listed.ok ? "an answer of the wrong kind" : listed.message}`);
    }
    const { voices, variants } = listed;
    const model: TtsModel = {
      voices,
      variants,
      async synthesize(utterance) {
        const reply = await threads.request({ kind: "speak", ...utterance });
        if (reply.ok && reply.kind === "speak") return { pcm16: reply.pcm16, sampleRate: reply.sampleRate, synthMs: reply.synthMs };
        const reason = reply.ok ? "an answer of the wrong kind" : reply.message;
        logger.error({ reason }, "speech synthesis failed");
        throw new PoolError("internal", `speech synthesis failed: ${reason}`);
      },
    };
    const warmUtterance = { text: WARMUP_TEXT, ...SYNTHESIS_DEFAULTS };
    return {
      model,
      // As many at once as there are threads: a further thread starts only while every started one is busy.
      async warmup() {
        await Promise.all(Array.from({ length: placement.instances }, () => model.synthesize(warmUtterance)));
      },
      dispose: () => threads.close(),
    };
  },
};
