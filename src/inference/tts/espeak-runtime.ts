import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { pcm16ToInt16 } from "../audio/pcm.js";
import { readWavLayout } from "../audio/wav.js";
import { espeakWasmFile } from "../models/model-files.js";

/**
 * eSpeak NG 1.52 compiled to wasm (the `espeak-ng` package, GPL-3.0-or-later, a licence apart from the engine's):
 * the one file that imports it, so everything else codes against `TtsModel` (registry/model-module.ts) and the
 * synthesizer can be swapped for another behind it. Its command-line program runs once per utterance on a fresh
 * instance of one compiled module (≈ 70–140 ms for 1–1,000 characters on these machines) and writes a 16-bit mono
 * WAV at 22,050 Hz into that instance's in-memory file system. It does not stream: callers speak one sentence a call.
 */

export const ESPEAK_SAMPLE_RATE = 22_050;

/** The slice of the Emscripten module read after a run. */
interface ESpeakInstance {
  FS: { readFile(path: string): Uint8Array };
}

interface ESpeakModuleArgument {
  arguments: string[];
  /** Emscripten's hooks before `main`; a run dependency added here holds `main` until it is removed. */
  preRun?: ((module: RunDependencies) => void)[];
  instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void): Record<string, never>;
  print(text: string): void;
  printErr(text: string): void;
}

interface RunDependencies {
  addRunDependency(id: string): void;
  removeRunDependency(id: string): void;
}

type ESpeakFactory = (module: ESpeakModuleArgument) => Promise<ESpeakInstance>;

/** The compiled module (≈ 18 MB of wasm, its voices and dictionaries embedded) and the factory that instantiates it. */
export interface EspeakRuntime {
  readonly factory: ESpeakFactory;
  readonly wasm: WebAssembly.Module;
}

/** One utterance as eSpeak's options take it: a voice id (`en-us`, `en-gb-x-rp`, `en-us+f3`) and `-s` words a minute. */
export interface EspeakUtterance {
  text: string;
  voice: string;
  rateWpm: number;
}

/** What eSpeak NG speaks: voice ids (`--voices`) and the variants one may add after `+` (`--voices=variant`). */
export interface EspeakVoices {
  voices: string[];
  variants: string[];
}

/** eSpeak failed to write audio; `message` is its own first line on stderr. */
export class EspeakError extends Error {
  override readonly name = "EspeakError";
}

/** Where each instance writes its WAV (its own file system, gone with the instance). */
const OUT_PATH = "/out.wav";

/** Compiles the .wasm once; every utterance then instantiates it afresh (the program's state does not survive `main`). */
export async function loadEspeakRuntime(): Promise<EspeakRuntime> {
  const wasmPath = espeakWasmFile().path;
  const [wasm, imported] = await Promise.all([
    readFile(wasmPath).then((bytes) => WebAssembly.compile(bytes)),
    import(pathToFileURL(join(dirname(wasmPath), "espeak-ng.js")).href) as Promise<unknown>,
  ]);
  if (typeof imported !== "object" || imported === null || !("default" in imported) || typeof imported.default !== "function") {
    throw new EspeakError("espeak-ng has no factory as its default export");
  }
  return { factory: imported.default as ESpeakFactory, wasm };
}

/**
 * The program's arguments for one utterance, a fresh array each time (the runtime consumes it). The text is one
 * argv element after `--`, which ends eSpeak's options: text such as `--help` or `-v xx` is spoken, never parsed.
 */
export function espeakArguments(utterance: EspeakUtterance): string[] {
  return ["-v", utterance.voice, "-s", String(utterance.rateWpm), "-w", OUT_PATH, "--", utterance.text];
}

async function runEspeak(runtime: EspeakRuntime, args: string[]): Promise<{ instance: ESpeakInstance; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const instance = await runtime.factory({
    arguments: args,
    instantiateWasm(imports, receive) {
      void WebAssembly.instantiate(runtime.wasm, imports).then(receive);
      return {};
    },
    print: (line) => void stdout.push(line),
    printErr: (line) => void stderr.push(line),
  });
  return { instance, stdout, stderr };
}

/** An instance made ahead of its utterance, its `main` held until `start` gives it its arguments. */
export interface HeldInstance {
  start(args: readonly string[]): Promise<{ instance: ESpeakInstance; stdout: string[]; stderr: string[] }>;
}

/**
 * Instantiates the module now and holds its `main` (a run dependency added in `preRun`), so that an utterance pays
 * only for its run: instantiation and the copying of its 18 MB of data segments (≈ a third of a short utterance's
 * time) happen while the thread waits for work. The runtime reads its arguments from the array it was given when
 * `main` starts, so `start` fills that same array, then lets it go.
 */
export function holdInstance(runtime: EspeakRuntime): Promise<HeldInstance> {
  const args: string[] = [];
  const stdout: string[] = [];
  const stderr: string[] = [];
  return new Promise((resolveHeld, rejectHeld) => {
    let release: (() => void) | null = null;
    const ran = runtime.factory({
      arguments: args,
      preRun: [
        (module) => {
          module.addRunDependency("utterance");
          release = () => module.removeRunDependency("utterance");
          resolveHeld({
            start(utterance) {
              args.push(...utterance);
              release?.();
              return ran.then((instance) => ({ instance, stdout, stderr }));
            },
          });
        },
      ],
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(runtime.wasm, imports).then(receive, rejectHeld);
        return {};
      },
      print: (line) => void stdout.push(line),
      printErr: (line) => void stderr.push(line),
    });
    ran.catch(rejectHeld);
  });
}

/** One utterance → the WAV eSpeak wrote; `EspeakError` with its complaint when it wrote none (an unknown voice). */
export async function espeakWav(runtime: EspeakRuntime, utterance: EspeakUtterance, held?: Promise<HeldInstance>): Promise<Uint8Array> {
  const { instance, stderr } = held === undefined ? await runEspeak(runtime, espeakArguments(utterance)) : await (await held).start(espeakArguments(utterance));
  try {
    return instance.FS.readFile(OUT_PATH);
  } catch {
    throw new EspeakError(stderr.find((line) => line.trim() !== "") ?? "eSpeak NG wrote no audio");
  }
}

/** eSpeak's WAV as 16-bit samples (copied out of the instance's heap) and their rate. */
export function wavPcm16(wav: Uint8Array): { pcm16: Int16Array; sampleRate: number } {
  const layout = readWavLayout(wav);
  if (layout.bitsPerSample !== 16 || layout.channels !== 1) {
    throw new EspeakError(`eSpeak NG wrote ${layout.bitsPerSample}-bit audio in ${layout.channels} channels, not 16-bit mono`);
  }
  return { pcm16: pcm16ToInt16(wav.subarray(layout.dataStart, layout.dataStart + layout.frames * 2)), sampleRate: layout.sampleRate };
}

const OTHER_LANGUAGE = /\(([a-z0-9-]+) \d+\)/g;
/** Variant lines name their file `!v/<id>`; ids with spaces (`Mr serious`) cannot be passed after `+` and are left out. */
const VARIANT_FILE = /\s!v\/([A-Za-z0-9_-]+)\s*(?:\(|$)/;

/** The voice ids and variants this build has (two runs of the program, ≈ 200 ms: once per load). */
export async function espeakVoices(runtime: EspeakRuntime): Promise<EspeakVoices> {
  const [languages, variants] = await Promise.all([runEspeak(runtime, ["--voices"]), runEspeak(runtime, ["--voices=variant"])]);
  // Rows after the header: priority, language (an id `-v` takes), age/gender, name, file, then other languages the
  // voice speaks as `(id priority)` groups: `-v` takes those too (`en` for en-gb, `zh` for cmn).
  const voices = languages.stdout.slice(1).flatMap((line) => {
    const id = line.trim().split(/\s+/)[1];
    const others = [...line.matchAll(OTHER_LANGUAGE)].flatMap((match) => match[1] ?? []);
    return id === undefined ? others : [id, ...others];
  });
  const variantIds = variants.stdout.slice(1).flatMap((line) => VARIANT_FILE.exec(line)?.[1] ?? []);
  if (voices.length === 0) throw new EspeakError(`eSpeak NG listed no voices (${languages.stderr.join(" ").slice(0, 200)})`);
  return { voices: [...new Set(voices)], variants: [...new Set(variantIds)] };
}
