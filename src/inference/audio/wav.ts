import { AudioError } from "./audio-error.js";
import { floatToInt16 } from "./pcm.js";

export interface WavAudio {
  sampleRate: number;
  /** Channels in the file; `samples` is always mono (channels averaged). */
  channels: number;
  samples: Float32Array;
}

const FORMAT_PCM = 1;
const FORMAT_IEEE_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Streaming writers that cannot seek back put this in the data size: read to the end of the file. */
const UNKNOWN_SIZE = 0xffffffff;

/** The fmt chunk, checked. */
export interface WavFormat {
  format: typeof FORMAT_PCM | typeof FORMAT_IEEE_FLOAT;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

/** What a WAV file's header declares, read without decoding a sample: enough to bound the work of decoding it. */
export interface WavLayout {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Sample frames in the data chunk (one sample per channel each). */
  frames: number;
  /** Byte offset of the first frame. */
  dataStart: number;
  format: WavFormat;
}

/** Chunks walked before the data chunk; a file of millions of empty chunks is not audio. */
const MAX_CHUNKS = 1_024;

/**
 * Walks a RIFF/WAVE file's chunk list up to its data chunk (LIST/fact/cue chunks before it are skipped) and checks
 * the format and sizes, reading no sample: O(chunks), whatever the file declares.
 */
export function readWavLayout(bytes: Uint8Array): WavLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || fourCC(view, 0) !== "RIFF" || fourCC(view, 8) !== "WAVE") {
    throw new AudioError("not a WAV file (missing RIFF/WAVE header)");
  }
  let format: WavFormat | undefined;
  let offset = 12;
  for (let chunks = 0; offset + 8 <= bytes.byteLength; chunks += 1) {
    if (chunks >= MAX_CHUNKS) throw new AudioError(`invalid WAV file (more than ${MAX_CHUNKS} chunks before the data)`);
    const id = fourCC(view, offset);
    const declared = view.getUint32(offset + 4, true);
    const start = offset + 8;
    if (id === "fmt ") {
      if (declared < 16) throw new AudioError("invalid WAV file (fmt chunk too short)");
      if (start + declared > bytes.byteLength) throw new AudioError("truncated WAV file (fmt chunk)");
      format = readFormat(view, start, declared);
    } else if (id === "data") {
      if (format === undefined) throw new AudioError("invalid WAV file (data chunk before fmt chunk)");
      const available = bytes.byteLength - start;
      const size = declared === UNKNOWN_SIZE ? available - (available % format.blockAlign) : declared;
      if (size > available) {
        throw new AudioError(`truncated WAV file (data chunk declares ${size} bytes, ${available} present)`);
      }
      if (size % format.blockAlign !== 0) {
        throw new AudioError("truncated WAV file (data chunk ends inside a sample frame)");
      }
      return {
        sampleRate: format.sampleRate,
        channels: format.channels,
        bitsPerSample: format.bitsPerSample,
        frames: size / format.blockAlign,
        dataStart: start,
        format,
      };
    }
    // Chunks are padded to an even length.
    offset = start + declared + (declared % 2);
  }
  if (offset > bytes.byteLength) throw new AudioError("truncated WAV file (a chunk runs past the end)");
  throw new AudioError(format === undefined ? "invalid WAV file (no fmt chunk)" : "invalid WAV file (no data chunk)");
}

/**
 * Reads a RIFF/WAVE file: integer PCM (8, 16, 24, 32 bit) or 32-bit float, any channel count, downmixed to mono.
 * Its cost is proportional to the data: bound it with `readWavLayout` first when the file comes from a client.
 */
export function parseWav(bytes: Uint8Array): WavAudio {
  const layout = readWavLayout(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    samples: decodeFrames(view, layout.dataStart, layout.frames, layout.format),
  };
}

/** 16-bit mono PCM WAV. */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const { bytes, view } = pcm16WavFile(samples.length * 2, sampleRate);
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(44 + i * 2, floatToInt16(samples[i] ?? 0), true);
  }
  return bytes;
}

/** 16-bit mono PCM chunks (little-endian bytes, `dataBytes` in all) as one WAV file, the samples copied as they are. */
export function pcm16ChunksToWav(chunks: readonly Uint8Array[], dataBytes: number, sampleRate: number): Uint8Array {
  const { bytes } = pcm16WavFile(dataBytes, sampleRate);
  let offset = 44;
  for (const chunk of chunks) {
    if (offset >= bytes.byteLength) break;
    bytes.set(chunk.subarray(0, bytes.byteLength - offset), offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** A 16-bit mono PCM WAV file of `dataSize` bytes of samples: its 44-byte header written, its data zeroed. */
function pcm16WavFile(dataSize: number, sampleRate: number): { bytes: Uint8Array; view: DataView } {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new AudioError(`invalid sample rate ${sampleRate}`);
  }
  const bytes = new Uint8Array(44 + dataSize);
  const view = new DataView(bytes.buffer);
  writeFourCC(view, 0, "RIFF");
  view.setUint32(4, 36 + dataSize, true);
  writeFourCC(view, 8, "WAVE");
  writeFourCC(view, 12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  writeFourCC(view, 36, "data");
  view.setUint32(40, dataSize, true);
  return { bytes, view };
}

function readFormat(view: DataView, start: number, size: number): WavFormat {
  let tag = view.getUint16(start, true);
  const channels = view.getUint16(start + 2, true);
  const sampleRate = view.getUint32(start + 4, true);
  const blockAlign = view.getUint16(start + 12, true);
  const bitsPerSample = view.getUint16(start + 14, true);
  if (tag === FORMAT_EXTENSIBLE) {
    // WAVE_FORMAT_EXTENSIBLE: the real format tag is the first two bytes of the sub-format GUID at offset 24.
    if (size < 26) throw new AudioError("invalid WAV file (extensible fmt chunk too short)");
    tag = view.getUint16(start + 24, true);
  }
  if (tag !== FORMAT_PCM && tag !== FORMAT_IEEE_FLOAT) {
    throw new AudioError(`unsupported WAV encoding (format tag ${tag}); use PCM or 32-bit float`);
  }
  const supportedBits = tag === FORMAT_PCM ? [8, 16, 24, 32] : [32];
  if (!supportedBits.includes(bitsPerSample)) {
    throw new AudioError(`unsupported WAV sample size ${bitsPerSample} bits for format tag ${tag}`);
  }
  if (channels === 0 || sampleRate === 0 || blockAlign !== channels * (bitsPerSample / 8)) {
    throw new AudioError("invalid WAV file (inconsistent fmt chunk)");
  }
  return { format: tag, channels, sampleRate, bitsPerSample, blockAlign };
}

function decodeFrames(view: DataView, start: number, frames: number, format: WavFormat): Float32Array {
  const samples = new Float32Array(frames);
  const bytesPerSample = format.bitsPerSample / 8;
  const read = sampleReader(format);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    const frameStart = start + frame * format.blockAlign;
    for (let channel = 0; channel < format.channels; channel++) {
      sum += read(view, frameStart + channel * bytesPerSample);
    }
    samples[frame] = sum / format.channels;
  }
  return samples;
}

function sampleReader(format: WavFormat): (view: DataView, at: number) => number {
  if (format.format === FORMAT_IEEE_FLOAT) return (view, at) => view.getFloat32(at, true);
  switch (format.bitsPerSample) {
    case 8:
      return (view, at) => (view.getUint8(at) - 128) / 128;
    case 16:
      return (view, at) => view.getInt16(at, true) / 32768;
    case 24:
      return (view, at) => ((view.getUint8(at + 2) << 24) | (view.getUint16(at, true) << 8)) / 2147483648;
    default:
      return (view, at) => view.getInt32(at, true) / 2147483648;
  }
}

function fourCC(view: DataView, at: number): string {
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
}

function writeFourCC(view: DataView, at: number, text: string): void {
  for (let i = 0; i < 4; i++) view.setUint8(at + i, text.charCodeAt(i));
}
