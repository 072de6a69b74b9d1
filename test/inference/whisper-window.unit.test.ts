import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { openWhisperWindow, pickWindow, validWindow, windowCapacitySamples } from "../../src/inference/models/whisper-window.js";

describe("Whisper windows", () => {
  it("picks the smallest window whose features hold the utterance", () => {
    expect(windowCapacitySamples(1500)).toBe(1499 * 160);
    expect(pickWindow([3000, 1500], 3.5 * 16_000)).toBe(1500);
    expect(pickWindow([1500, 3000], windowCapacitySamples(1500))).toBe(1500);
    expect(pickWindow([1500, 3000], windowCapacitySamples(1500) + 1)).toBe(3000);
    expect(pickWindow([1500, 3000], 30 * 16_000)).toBeNull();
  });

  it("accepts even frame counts up to 3000 only", () => {
    expect([1500, 3000, 1000].every(validWindow)).toBe(true);
    expect([1501, 0, 3002, 1.5].some(validWindow)).toBe(false);
  });

  it("refuses a graph without the layout it edits, as model_unavailable", () => {
    const model = onnxProto.onnx.ModelProto.create({ graph: onnxProto.onnx.GraphProto.create({ node: [] }) });
    expect(() => openWhisperWindow(model)).toThrow(expect.objectContaining({ code: "model_unavailable" }));
  });
});
