import { describe, expect, it } from "vitest";
import type { SpeechScript } from "../../loadtest/speech-script.js";
import { SpeakerLedger } from "../../loadtest/utterance-ledger.js";

/** 2 s of audio: one utterance from 400 to 1400 ms. */
const SCRIPT: SpeechScript = { pcm16: new Uint8Array(64_000), durationMs: 2_000, utterances: [{ startMs: 400, endMs: 1_400 }], source: "test" };

describe("SpeakerLedger interim captions", () => {
  it("takes the first interim matched by its start, and the final by its end", () => {
    // The session was created 1 s before the first frame: the stream's first sample sits at 980 ms session time.
    const ledger = new SpeakerLedger("host", 0);
    for (let frame = 0; frame < 100; frame++) ledger.frameSent(frame, SCRIPT, 1_000 + frame * 20);
    const [utterance] = ledger.utterances;
    expect(utterance?.expectedStartMs).toBe(1_380);
    // The pool's start is the speech's, less its pre-roll padding.
    ledger.interimHeard(1_080, 2_100);
    ledger.interimHeard(1_080, 2_900);
    ledger.interimHeard(9_000, 3_000);
    expect(utterance?.firstInterimAtMs).toBe(2_100);
    ledger.transcriptHeard("host", 2_380, 3_500);
    expect(utterance?.heardAtMs.get("host")).toBe(3_500);
    expect(ledger.unmatched).toBe(0);
  });
});
