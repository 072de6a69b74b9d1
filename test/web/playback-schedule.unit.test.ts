import { describe, expect, it } from "vitest";
import { readPcm16, pcm16SampleCount } from "../../web/src/pcm16.js";
import { PlaybackSchedule } from "../../web/src/playback-schedule.js";

describe("the tutor's playback schedule", () => {
  it("starts the first chunk a lead ahead of now, and each next one where the last ends", () => {
    const schedule = new PlaybackSchedule({ startLeadMs: 100 });
    expect(schedule.place(1_000, 100)).toBe(1_100);
    // Chunks arrive faster than they play (the engine sends up to 400 ms ahead): back to back.
    expect(schedule.place(1_010, 100)).toBe(1_200);
    expect(schedule.place(1_020, 100)).toBe(1_300);
    expect(schedule.queuedMs(1_050)).toBe(350);
    expect(schedule.gaps).toBe(0);
  });

  it("a chunk after the queue ran dry starts a lead ahead again, counted as a gap", () => {
    const schedule = new PlaybackSchedule({ startLeadMs: 50 });
    schedule.place(0, 100);
    expect(schedule.place(400, 100)).toBe(450);
    expect(schedule.gaps).toBe(1);
    expect(schedule.queuedMs(600)).toBe(0);
  });

  it("restart forgets the queue: the next chunk starts afresh and the pause is no gap", () => {
    const schedule = new PlaybackSchedule();
    schedule.place(0, 1_000);
    schedule.place(0, 1_000);
    schedule.restart();
    expect(schedule.queuedMs(10)).toBe(0);
    expect(schedule.place(20, 100)).toBe(120);
    expect(schedule.gaps).toBe(0);
  });
});

describe("16-bit PCM", () => {
  it("reads little-endian samples, at an odd offset too, and ignores a trailing odd byte", () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x80, 0xff, 0x7f, 0x00, 0x80, 0x01]);
    const odd = bytes.subarray(1, 8);
    expect(pcm16SampleCount(odd)).toBe(3);
    const samples = new Float32Array(3);
    readPcm16(odd, samples);
    // 0x8000 (-32768), 0x7fff (32767), 0x8000 (-32768)
    expect([...samples]).toEqual([-1, 32767 / 32768, -1]);
  });

  it("fills no more than the target holds", () => {
    const samples = new Float32Array(1);
    readPcm16(new Uint8Array([0x00, 0x40, 0x00, 0x40]), samples);
    expect([...samples]).toEqual([0.5]);
  });
});
