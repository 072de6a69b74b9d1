import { describe, expect, it } from "vitest";
import { DEFAULT_VIDEO_FPS, MAX_VIDEO_FPS, MAX_VIDEO_FRAME_HEIGHT, MAX_VIDEO_FRAME_WIDTH } from "../../src/protocol/client-messages.js";
import { EXPRESSION_NAMES } from "../../src/protocol/server-messages.js";
import { badgeText } from "../../web/src/badge-text.js";
import { fitFrame, frameIntervalMs } from "../../web/src/frame-size.js";
import { encodeY4m, rgbaToI420, y4mHeader } from "./y4m.js";

describe("camera frames", () => {
  it("are sent at their own size when within the limit, else scaled down to fit it (either way round)", () => {
    expect(fitFrame(640, 480)).toEqual({ width: 640, height: 480 });
    expect(fitFrame(MAX_VIDEO_FRAME_WIDTH, MAX_VIDEO_FRAME_HEIGHT)).toEqual({ width: MAX_VIDEO_FRAME_WIDTH, height: MAX_VIDEO_FRAME_HEIGHT });
    for (const [width, height] of [[1920, 1080], [1080, 1920], [4000, 3000], [3000, 4000], [2000, 720]] as const) {
      const fitted = fitFrame(width, height);
      expect(Math.max(fitted.width, fitted.height)).toBeLessThanOrEqual(Math.max(MAX_VIDEO_FRAME_WIDTH, MAX_VIDEO_FRAME_HEIGHT));
      expect(Math.min(fitted.width, fitted.height)).toBeLessThanOrEqual(Math.min(MAX_VIDEO_FRAME_WIDTH, MAX_VIDEO_FRAME_HEIGHT));
      expect(fitted.width / fitted.height).toBeCloseTo(width / height, 1);
    }
  });

  it("are paced under the allowed rate, which is clamped to what the engine takes", () => {
    for (let fps = 1; fps <= MAX_VIDEO_FPS; fps += 1) expect(frameIntervalMs(fps)).toBeGreaterThan(1000 / fps);
    expect(frameIntervalMs(DEFAULT_VIDEO_FPS)).toBeLessThan((1000 / DEFAULT_VIDEO_FPS) * 1.25);
    expect(frameIntervalMs(MAX_VIDEO_FPS + 10)).toBe(frameIntervalMs(MAX_VIDEO_FPS));
    expect(frameIntervalMs(0)).toBe(frameIntervalMs(1));
  });
});

describe("expression badge", () => {
  it("names the expression with its emoji, counts several faces, says 'no face'", () => {
    for (const expression of EXPRESSION_NAMES) expect(badgeText({ faces: 1, expression })).toMatch(new RegExp(`^\\S+ ${expression}$`, "u"));
    expect(badgeText({ faces: 1, expression: "happy" })).toBe("😊 happy");
    expect(badgeText({ faces: 2, expression: "sad" })).toBe("😢 sad · 2 faces");
    expect(badgeText({ faces: 0, expression: null })).toBe("no face");
    expect(badgeText({ faces: 1, expression: null })).toBe("1 face");
  });
});

describe("Y4M fake camera", () => {
  it("writes the header, then FRAME and 4:2:0 planes per frame, cropped to even dimensions", () => {
    const width = 5;
    const height = 3;
    const data = new Uint8Array(width * height * 4).fill(255);
    const file = Buffer.from(encodeY4m({ width, height, data }, { frames: 2, fps: 10 }));
    const header = y4mHeader(4, 2, 10);
    expect(header).toBe("YUV4MPEG2 W4 H2 F10:1 Ip A1:1 C420jpeg\n");
    const frameBytes = 4 * 2 + 2 * (2 * 1);
    expect(file.length).toBe(header.length + 2 * ("FRAME\n".length + frameBytes));
    expect(file.subarray(0, header.length).toString("ascii")).toBe(header);
    expect(file.subarray(header.length, header.length + 6).toString("ascii")).toBe("FRAME\n");
  });

  it("converts RGB to BT.601 studio-range YCbCr: black, white, red, and chroma averaged over 2 × 2", () => {
    /** A 2 × 2 picture of one colour, converted. */
    const pixel = (r: number, g: number, b: number) =>
      rgbaToI420({ width: 2, height: 2, data: new Uint8Array(Array.from({ length: 4 }, () => [r, g, b, 255]).flat()) }).planes;
    expect([...pixel(0, 0, 0)]).toEqual([16, 16, 16, 16, 128, 128]);
    expect([...pixel(255, 255, 255)]).toEqual([235, 235, 235, 235, 128, 128]);
    const red = pixel(255, 0, 0);
    expect(red[0]).toBe(81);
    expect(red[4]).toBe(90);
    expect(red[5]).toBe(240);
    // Two black and two white pixels: their own luma, one mid-grey chroma sample.
    const mixed = rgbaToI420({ width: 2, height: 2, data: new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255]) });
    expect([...mixed.planes]).toEqual([16, 235, 16, 235, 128, 128]);
  });
});
