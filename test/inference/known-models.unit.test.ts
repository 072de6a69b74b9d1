import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_MODEL_MODULES } from "../../src/inference/registry/known-models.js";
import { KNOWN_MODEL_NAMES } from "../../src/inference/registry/model-names.js";

/** The pool's real modules as declared (nothing is loaded here). */
describe("the known model modules", () => {
  it("are exactly the names configuration accepts, one per task", () => {
    expect(KNOWN_MODEL_MODULES.map((m) => m.name)).toEqual([...KNOWN_MODEL_NAMES]);
    const tasks = KNOWN_MODEL_MODULES.map((m) => m.task);
    expect(new Set(tasks).size).toBe(tasks.length);
  });

  it("declare task, runtime and batching: Silero sequence-batched, Whisper unbatched lanes, the face models dynamic, RNNoise per-stream state, eSpeak and ESRGAN unbatched threads, the deepfake classifier dynamic", () => {
    expect(KNOWN_MODEL_MODULES.map((m) => [m.name, m.task, m.runtime, m.batching])).toEqual([
      ["silero_vad_v5", "vad", "onnxruntime-node", "sequence"],
      ["whisper_tiny_en_int8", "asr", "onnxruntime-node", "none"],
      ["blazeface_front_128", "face_detect", "onnxruntime-node", "dynamic"],
      ["human_emotion", "face_expression", "tfjs-wasm", "dynamic"],
      ["rnnoise", "denoise", "wasm", "sequence"],
      ["espeak_ng", "tts", "wasm", "none"],
      ["esrgan_slim", "super_resolution", "tfjs-wasm", "none"],
      ["deepfake_onnx", "deepfake", "onnxruntime-node", "dynamic"],
    ]);
  });

  it("size their placement: one VAD session of one thread; Whisper lanes from the cores (asr-lanes.ts); one of each face model and of RNNoise", () => {
    const [silero, whisper, blazeface, emotion, rnnoise, espeak, esrgan, deepfake] = KNOWN_MODEL_MODULES;
    expect(silero?.placement(8, {})).toEqual({ instances: 1, threads: 1 });
    expect(whisper?.placement(2, {})).toEqual({ instances: 2, threads: 1 });
    expect(whisper?.placement(8, {})).toEqual({ instances: 4, threads: 2 });
    expect(whisper?.placement(2, { instances: 1 })).toEqual({ instances: 1, threads: 2 });
    expect(blazeface?.placement(2, {})).toEqual({ instances: 1, threads: 1 });
    expect(blazeface?.placement(8, { threads: 2 })).toEqual({ instances: 1, threads: 2 });
    // TF.js: one engine per thread, and its wasm backend single-threaded in Node, whatever is asked.
    expect(emotion?.placement(2, {})).toEqual({ instances: 1, threads: 1 });
    expect(emotion?.placement(8, { instances: 2, threads: 4 })).toEqual({ instances: 1, threads: 1 });
    // RNNoise: one wasm heap, each stream's frames run on the calling thread.
    expect(rnnoise?.placement(8, { instances: 2, threads: 4 })).toEqual({ instances: 1, threads: 1 });
    // eSpeak: one thread per instance; one on 2 cores (the pool's loop and Whisper take the other), two above, 4 at most.
    expect(espeak?.placement(2, {})).toEqual({ instances: 1, threads: 1 });
    expect(espeak?.placement(8, {})).toEqual({ instances: 2, threads: 1 });
    expect(espeak?.placement(8, { instances: 9, threads: 4 })).toEqual({ instances: 4, threads: 1 });
    // ESRGAN: one thread (one image at a time, TF.js wasm single-threaded), two at most.
    expect(esrgan?.placement(2, {})).toEqual({ instances: 1, threads: 1 });
    expect(esrgan?.placement(8, { instances: 5, threads: 4 })).toEqual({ instances: 2, threads: 1 });
    // The deepfake classifier: one session, of one thread unless configured.
    expect(deepfake?.placement(8, {})).toEqual({ instances: 1, threads: 1 });
    expect(deepfake?.placement(8, { threads: 2 })).toEqual({ instances: 1, threads: 2 });
  });

  it("can run on this machine: their packages are installed; the deepfake model only once its file is placed", () => {
    const modelsDir = join(tmpdir(), "no-models-placed-here");
    const why = Object.fromEntries(KNOWN_MODEL_MODULES.map((m) => [m.name, m.unsupported("cpu", modelsDir)]));
    expect(why).toEqual({ ...Object.fromEntries(KNOWN_MODEL_MODULES.map((m) => [m.name, null])), deepfake_onnx: expect.stringContaining(join(modelsDir, "deepfake", "model.onnx")) });
  });
});
