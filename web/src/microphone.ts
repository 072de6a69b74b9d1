import { CAPTURE_PROCESSOR, FRAME_MS, sendRateFor, type CaptureOptions, type SendRate } from "./capture-format.js";

export interface Microphone {
  stream: MediaStream;
  /** The rate the device delivers (the audio graph runs at it). */
  captureRate: number;
  /** The rate of the frames `onFrame` gets: the join option `sample_rate`. */
  sendRate: SendRate;
  /** Resumes processing after the browser suspended it for lack of a user gesture. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An audio graph at the track's own rate, its source connected. Run at another rate, the browser would have to convert
 * the device's audio itself, which Firefox refuses (it throws on connecting); a device that reports no rate, or one
 * the browser cannot open a graph at, gets the default graph.
 */
function connectSource(stream: MediaStream): { context: AudioContext; source: MediaStreamAudioSourceNode } {
  const trackRate = stream.getAudioTracks()[0]?.getSettings().sampleRate;
  if (trackRate !== undefined && Number.isFinite(trackRate)) {
    let context: AudioContext | null = null;
    try {
      context = new AudioContext({ sampleRate: trackRate });
      return { context, source: context.createMediaStreamSource(stream) };
    } catch (error) {
      void context?.close();
      console.warn(`no audio graph at the microphone's ${trackRate} Hz; using the default rate`, error);
    }
  }
  const context = new AudioContext();
  return { context, source: context.createMediaStreamSource(stream) };
}

/** Opens the microphone and feeds 20 ms 16-bit PCM frames at `sendRate` to `onFrame` from the capture worklet. */
export async function openMicrophone(workletUrl: string, onFrame: (frame: Uint8Array) => void): Promise<Microphone> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
  });
  const { context, source } = connectSource(stream);
  try {
    await context.audioWorklet.addModule(workletUrl);
  } catch (error) {
    for (const track of stream.getTracks()) track.stop();
    await context.close();
    throw error;
  }
  const sendRate = sendRateFor(context.sampleRate);
  const frameBytes = ((sendRate * FRAME_MS) / 1000) * 2;
  const processorOptions: CaptureOptions = { targetRate: sendRate };
  const capture = new AudioWorkletNode(context, CAPTURE_PROCESSOR, {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    // Mixed down to mono by the graph: a stereo (or fake) device's channels are averaged, not one of them kept.
    channelCount: 1,
    channelCountMode: "explicit",
    processorOptions,
  });
  capture.port.onmessage = (event: MessageEvent<ArrayBuffer>) => {
    if (event.data.byteLength === frameBytes) onFrame(new Uint8Array(event.data));
  };
  // A silent path to the destination keeps the graph pulled in every browser.
  const silent = context.createGain();
  silent.gain.value = 0;
  source.connect(capture).connect(silent).connect(context.destination);
  let stopped: Promise<void> | null = null;
  return {
    stream,
    captureRate: context.sampleRate,
    sendRate,
    resume: () => context.resume(),
    stop() {
      for (const track of stream.getTracks()) track.stop();
      stopped ??= context.close();
      return stopped;
    },
  };
}
