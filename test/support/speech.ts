import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { resample } from "../../src/inference/audio/resample.js";
import { parseWav } from "../../src/inference/audio/wav.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";

/**
 * Real synthetic speech for tests: eSpeak NG compiled to WASM (the `espeak-ng` dev dependency, GPL — test-only, never
 * imported by src/). Its 22,050 Hz output is resampled to the models' 16 kHz with the project's own resampler.
 */
export interface SynthesizedSpeech {
  samples16k: Float32Array;
  sampleRate: typeof MODEL_SAMPLE_RATE;
}

export interface SpeechSynthesizer {
  synthesize(text: string, voice?: string): Promise<SynthesizedSpeech>;
}

/** The slice of the Emscripten module the synthesizer uses. */
interface ESpeakInstance {
  FS: { readFile(path: string): Uint8Array };
}

type ESpeakFactory = (module: {
  arguments: string[];
  instantiateWasm: (
    imports: WebAssembly.Imports,
    receive: (instance: WebAssembly.Instance) => void,
  ) => Record<string, never>;
  print: (text: string) => void;
  printErr: (text: string) => void;
}) => Promise<ESpeakInstance>;

/** Compiles the 9 MB .wasm once per synthesizer; each utterance then gets a fresh instance (≈ 70 ms). */
export function createSpeechSynthesizer(): SpeechSynthesizer {
  let runtime: Promise<{ factory: ESpeakFactory; wasm: WebAssembly.Module }> | undefined;
  const loadRuntime = async () => {
    const entry = createRequire(import.meta.url).resolve("espeak-ng");
    const [wasm, imported] = await Promise.all([
      readFile(join(dirname(entry), "espeak-ng.wasm")).then((bytes) => WebAssembly.compile(bytes)),
      import(pathToFileURL(entry).href) as Promise<unknown>,
    ]);
    if (typeof imported !== "object" || imported === null || !("default" in imported)) {
      throw new Error("espeak-ng has no default export");
    }
    const factory = imported.default;
    if (typeof factory !== "function") throw new Error("espeak-ng's default export is not a function");
    return { factory: factory as ESpeakFactory, wasm };
  };

  return {
    async synthesize(text, voice = "en-us") {
      runtime ??= loadRuntime();
      const { factory, wasm } = await runtime;
      const instance = await factory({
        // Fresh array each call: the Emscripten runtime consumes it.
        arguments: ["-v", voice, "-w", "/o.wav", text],
        instantiateWasm(imports, receive) {
          void WebAssembly.instantiate(wasm, imports).then(receive);
          return {};
        },
        print: () => undefined,
        printErr: () => undefined,
      });
      const wav = parseWav(instance.FS.readFile("/o.wav"));
      return { samples16k: resample(wav.samples, wav.sampleRate, MODEL_SAMPLE_RATE), sampleRate: MODEL_SAMPLE_RATE };
    },
  };
}

/** One-off synthesis; create a synthesizer instead when a test file speaks more than once. */
export async function synthesizeSpeech(text: string): Promise<SynthesizedSpeech> {
  return createSpeechSynthesizer().synthesize(text);
}

/** Surrounds speech with digital silence, as a participant pausing before and after talking. */
export function padWithSilence(
  samples: Float32Array,
  beforeMs: number,
  afterMs: number,
  sampleRate: number = MODEL_SAMPLE_RATE,
): Float32Array {
  const before = Math.round((beforeMs * sampleRate) / 1000);
  const after = Math.round((afterMs * sampleRate) / 1000);
  const padded = new Float32Array(before + samples.length + after);
  padded.set(samples, before);
  return padded;
}
