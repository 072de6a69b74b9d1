import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { float32ToPcm16, pcm16ToFloat32 } from "../../src/inference/audio/pcm.js";
import { parseWav } from "../../src/inference/audio/wav.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { debianPackageFiles } from "./debian-package-files.js";

/**
 * Recorded human speech with reference transcripts, with no network beyond Debian's archive: CMU Sphinx's test
 * recordings in Debian's `pocketsphinx-testdata` (BSD-2-Clause, Carnegie Mellon University), all 16 kHz
 * 16-bit mono:
 * - `cards`: five read phrases of playing cards (`cards/001.wav` … `005.wav`, 9.6 s), references in
 *   `cards/cards.transcription`;
 * - `goforward`: "go forward ten meters" (`goforward.raw`, headerless PCM, 2.8 s). The package ships no transcript
 *   file for it: the reference is the rule `<move>` of its grammar `goforward.gram`, the sentence pocketsphinx's own
 *   tests decode it to;
 * - `librivox`: five consecutive sentences of a LibriVox reading of Sense and Sensibility (24.7 s), references in
 *   `librivox/transcription`.
 * A recording of several files is them back to back, as one speaker's stream would carry them. The first use fetches
 * the .deb with `apt-get download` and unpacks it with `dpkg-deb -x`; the files are then cached under
 * node_modules/.cache/test-media/, keyed by the package version, for every later run.
 */
export type RecordingName = "cards" | "goforward" | "librivox";

export const RECORDING_NAMES: readonly RecordingName[] = ["cards", "goforward", "librivox"];

export interface RecordingPart {
  /** The file's id in the package (`001`, `goforward`, `sense_and_sensibility_01_austen_64kb-0870`). */
  id: string;
  reference: string;
  /** Where the file sits in the recording. */
  startMs: number;
  endMs: number;
}

export interface Recording {
  name: RecordingName;
  /** 16 kHz mono. */
  samples: Float32Array;
  /** The same audio as 16-bit little-endian PCM: what a sender streams and what `transcribe` takes. */
  pcm16: Uint8Array;
  /** Every part's reference, in order. */
  reference: string;
  parts: RecordingPart[];
}

const PACKAGE = "pocketsphinx-testdata";
const DATA_DIR = "usr/share/pocketsphinx/test/data";
/** What the cache keeps of the package: the recordings and their references. */
const KEPT = ["cards", "librivox", "goforward.raw", "goforward.gram"] as const;

/** One per test file: shares one download within it. */
export function createRecordings(): { recording(name: RecordingName): Promise<Recording> } {
  let folder: Promise<string> | undefined;
  const loaded = new Map<RecordingName, Promise<Recording>>();
  return {
    recording(name) {
      folder ??= ensureData();
      let recording = loaded.get(name);
      if (recording === undefined) {
        recording = folder.then((dir) => loadRecording(dir, name));
        loaded.set(name, recording);
      }
      return recording;
    },
  };
}

async function loadRecording(dir: string, name: RecordingName): Promise<Recording> {
  if (name === "goforward") {
    const [raw, grammar] = await Promise.all([readFile(join(dir, "goforward.raw")), readFile(join(dir, "goforward.gram"), "utf8")]);
    // A copy: the Buffer's own memory may sit at an odd offset of Node's pool, where an Int16 view cannot start.
    const pcm16 = new Uint8Array(raw);
    return assemble(name, [{ id: "goforward", reference: grammarSentence(grammar, "move"), pcm16 }]);
  }
  const transcription = name === "cards" ? join(dir, "cards", "cards.transcription") : join(dir, "librivox", "transcription");
  const references = parseTranscription(await readFile(transcription, "utf8"));
  const files = await Promise.all(
    references.map(async ({ id, reference }) => {
      const wav = parseWav(await readFile(join(dir, name, `${id}.wav`)));
      if (wav.sampleRate !== MODEL_SAMPLE_RATE) throw new Error(`${name}/${id}.wav is ${wav.sampleRate} Hz, expected 16 kHz`);
      return { id, reference, pcm16: float32ToPcm16(wav.samples) };
    }),
  );
  return assemble(name, files);
}

function assemble(name: RecordingName, files: { id: string; reference: string; pcm16: Uint8Array }[]): Recording {
  const pcm16 = new Uint8Array(files.reduce((sum, file) => sum + file.pcm16.byteLength, 0));
  const parts: RecordingPart[] = [];
  let at = 0;
  for (const file of files) {
    pcm16.set(file.pcm16, at);
    const startMs = (at / 2 / MODEL_SAMPLE_RATE) * 1000;
    at += file.pcm16.byteLength;
    parts.push({ id: file.id, reference: file.reference, startMs, endMs: (at / 2 / MODEL_SAMPLE_RATE) * 1000 });
  }
  return { name, samples: pcm16ToFloat32(pcm16), pcm16, reference: parts.map((part) => part.reference).join(" "), parts };
}

/** Sphinx transcription lines, `<s> ten of clubs </s> (001)`: the words between the tags, by file id. */
export function parseTranscription(text: string): { id: string; reference: string }[] {
  return text.split("\n").flatMap((line) => {
    const match = /^\s*(?:<s>)?(.*?)(?:<\/s>)?\s*\(([^)\s]+)\)\s*$/.exec(line);
    if (match === null) return [];
    return [{ id: match[2] ?? "", reference: (match[1] ?? "").trim().replace(/\s+/g, " ") }];
  });
}

/** The words of JSGF rule `<rule> = words ;` when it is a plain sentence (no alternatives or references). */
export function grammarSentence(grammar: string, rule: string): string {
  const match = new RegExp(`<${rule}>\\s*=\\s*([^;]*);`).exec(grammar);
  const words = match?.[1]?.trim() ?? "";
  if (words === "" || /[<>|[\]()]/.test(words)) throw new Error(`rule <${rule}> is not a plain sentence in the grammar`);
  return words.replace(/\s+/g, " ");
}

/** The cache folder holding the recordings, filled from the .deb when missing. */
async function ensureData(): Promise<string> {
  return debianPackageFiles(PACKAGE, DATA_DIR, KEPT);
}
