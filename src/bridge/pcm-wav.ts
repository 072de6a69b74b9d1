/** 16-bit mono PCM chunks (little-endian) → one WAV file, without converting a sample. */
export function pcm16ToWav(chunks: readonly Uint8Array[], dataBytes: number, sampleRate: number): Uint8Array {
  const wav = new Uint8Array(44 + dataBytes);
  const view = new DataView(wav.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  let offset = 44;
  for (const chunk of chunks) {
    wav.set(chunk.subarray(0, Math.min(chunk.byteLength, wav.byteLength - offset)), offset);
    offset += chunk.byteLength;
  }
  return wav;
}
