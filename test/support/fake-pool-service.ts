import type { InferencePoolService } from "../../src/inference/pool-service.js";

/** A pool service that serves nothing: a fake overrides what its test drives, and the rest refuses. */
export function notServed(): InferencePoolService {
  const refusal = () => new Error("not served by the fake pool");
  return {
    openAudioSession: () => {
      throw refusal();
    },
    openVideoSession: () => {
      throw refusal();
    },
    transcribe: () => Promise.reject(refusal()),
    transcribeWav: () => Promise.reject(refusal()),
    synthesize: () => Promise.reject(refusal()),
    detectFaces: () => Promise.reject(refusal()),
    enhanceImage: () => Promise.reject(refusal()),
    detectDeepfake: () => Promise.reject(refusal()),
    status: () => {
      throw refusal();
    },
    close: () => Promise.resolve(),
  };
}

/** What a fake pool's calls received, in order: each session it opens records under the next call number (from 1). */
export function callLog() {
  const received: { call: number; what: string }[] = [];
  let calls = 0;
  return {
    /** A new call's recorder. */
    nextCall(): (what: string) => void {
      calls += 1;
      const call = calls;
      return (what) => void received.push({ call, what });
    },
    /** The messages of the `call`-th call. */
    of: (call: number) => received.filter((r) => r.call === call).map((r) => r.what),
  };
}
