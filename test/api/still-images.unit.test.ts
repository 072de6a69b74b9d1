import { describe, expect, it } from "vitest";
import { decodeStillImage } from "../../src/api/still-images.js";
import { isEngineError } from "../../src/errors.js";
import { STILL_IMAGE_LIMITS } from "../../src/inference/image-types.js";
import { encodePng } from "../../src/inference/images/png-image.js";

const PNG = encodePng({ width: 4, height: 4, data: Uint8Array.from({ length: 48 }, (_, i) => i * 5) });
const JPEG_START = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

function codeOf(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    return isEngineError(error) ? error.code : "not an EngineError";
  }
}

describe("decodeStillImage", () => {
  it("takes base64, a data: URL, MIME line breaks and missing padding", () => {
    expect(decodeStillImage(b64(PNG))).toEqual({ bytes: PNG, format: "png" });
    expect(decodeStillImage(`data:image/png;base64,${b64(PNG)}`).format).toBe("png");
    expect(decodeStillImage(`DATA:IMAGE/PNG;BASE64,${b64(PNG)}`).format).toBe("png");
    expect(decodeStillImage(b64(PNG).replace(/(.{16})/g, "$1\r\n")).bytes).toEqual(PNG);
    expect(decodeStillImage(b64(PNG).replace(/=+$/, "")).bytes).toEqual(PNG);
    expect(decodeStillImage(b64(JPEG_START), "jpg").format).toBe("jpeg");
  });

  it.each([
    ["empty", ""],
    ["not base64", "%%%%"],
    ["a base64 length no encoder writes", "QUJDR"],
    ["a data: URL that is not base64", `data:image/png,${b64(PNG)}`],
    ["a data: URL of another type", `data:image/gif;base64,${b64(PNG)}`],
    ["a data: URL type the bytes contradict", `data:image/jpeg;base64,${b64(PNG)}`],
    ["bytes of no image", b64(new TextEncoder().encode("hello"))],
  ])("refuses %s: invalid_image", (_name, frame) => {
    expect(codeOf(() => decodeStillImage(frame))).toBe("invalid_image");
  });

  it("refuses a declared format the bytes contradict", () => {
    expect(codeOf(() => decodeStillImage(b64(PNG), "jpeg"))).toBe("invalid_image");
    expect(codeOf(() => decodeStillImage(b64(JPEG_START), "png"))).toBe("invalid_image");
  });

  it("takes exactly 4 MB and refuses one byte more as payload_too_large, before decoding", () => {
    const exact = new Uint8Array(STILL_IMAGE_LIMITS.maxBytes);
    exact.set(PNG);
    expect(decodeStillImage(b64(exact)).bytes.byteLength).toBe(STILL_IMAGE_LIMITS.maxBytes);
    const over = new Uint8Array(STILL_IMAGE_LIMITS.maxBytes + 1);
    over.set(PNG);
    expect(codeOf(() => decodeStillImage(b64(over)))).toBe("payload_too_large");
  });
});
