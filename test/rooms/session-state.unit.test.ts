import { randomUUID } from "node:crypto";
import { Encoder } from "@colyseus/schema";
import { describe, expect, it, vi } from "vitest";
import {
  createSessionState,
  ParticipantState,
  stateBufferBytes,
  withStateBufferSize,
  type SessionState,
} from "../../src/rooms/session-state.js";

function fullState(participants: number, nameChars: number, title = "Weekly planning"): SessionState {
  const state = createSessionState(randomUUID(), "meeting", title);
  for (let i = 0; i < participants; i += 1) {
    const participant = new ParticipantState();
    participant.id = randomUUID();
    participant.name = `${i} `.padEnd(nameChars, "x");
    participant.role = "participant";
    participant.connected = true;
    participant.joinedAt = Date.now();
    participant.speaking = false;
    state.participants.set(participant.id, participant);
  }
  return state;
}

describe("a room's state buffers", () => {
  it("hold the full state of a full room with 60-character names, so joins never reallocate", () => {
    for (const maxParticipants of [1, 4, 16, 100]) {
      const bytes = stateBufferBytes(maxParticipants, "Weekly planning");
      const encoded = new Encoder(fullState(maxParticipants, 60)).encodeAll();
      expect(encoded.byteLength).toBeLessThanOrEqual(bytes);
    }
    // A 16-person meeting, the default: 4 KiB for each of the two buffers, not Colyseus' 16 KiB.
    expect(stateBufferBytes(16, "Weekly planning")).toBe(4 * 1024);
  });

  it("are sized only while the room's state is set: Colyseus' default is back afterwards, even when setState throws", () => {
    const before = Encoder.BUFFER_SIZE;
    const seen = withStateBufferSize(2048, () => Encoder.BUFFER_SIZE);
    expect(seen).toBe(2048);
    expect(Encoder.BUFFER_SIZE).toBe(before);
    expect(() =>
      withStateBufferSize(2048, () => {
        throw new Error("setState failed");
      }),
    ).toThrow("setState failed");
    expect(Encoder.BUFFER_SIZE).toBe(before);
  });

  it("still encode a state larger than their size (Colyseus grows the buffer and warns)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const state = fullState(4, 800);
    const encoder = withStateBufferSize(stateBufferBytes(4, ""), () => new Encoder(state));
    const encoded = encoder.encodeAll();
    expect(encoded.byteLength).toBeGreaterThan(stateBufferBytes(4, ""));
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });
});
