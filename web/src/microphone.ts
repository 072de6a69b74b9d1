/** 20 ms of 16 kHz 16-bit mono, as the engine expects per `audio` message. */
export const FRAME_BYTES = 640;

export interface Microphone {
  stream: MediaStream;
  /** Resumes processing after the browser suspended it for lack of a user gesture. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** Opens the microphone and feeds 20 ms 16 kHz PCM frames to `onFrame` from the capture worklet. */
export async function openMicrophone(workletUrl: string, onFrame: (frame: Uint8Array) => void): Promise<Microphone> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
  });
  // Ask the browser for a 16 kHz graph: its own resampler (a proper low-pass) then feeds the worklet, whose box
  // filter is only the fallback for browsers that ignore the requested rate.
  const context = new AudioContext({ sampleRate: 16_000 });
  await context.audioWorklet.addModule(workletUrl);
  const source = context.createMediaStreamSource(stream);
  const capture = new AudioWorkletNode(context, "capture-16k", { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1 });
  capture.port.onmessage = (event: MessageEvent<ArrayBuffer>) => {
    if (event.data.byteLength === FRAME_BYTES) onFrame(new Uint8Array(event.data));
  };
  // A silent path to the destination keeps the graph pulled in every browser.
  const silent = context.createGain();
  silent.gain.value = 0;
  source.connect(capture).connect(silent).connect(context.destination);
  return {
    stream,
    resume: () => context.resume(),
    async stop() {
      for (const track of stream.getTracks()) track.stop();
      await context.close();
    },
  };
}
