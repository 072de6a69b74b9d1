import { z } from "zod";
import { BASE64_TEXT } from "./base64-text.js";
import { EngineError } from "../errors.js";
import { STILL_IMAGE_LIMITS, type StillImageFormat } from "../inference/image-types.js";
import { sniffImageFormat } from "../inference/images/still-image.js";

/**
 * Still images as the meeting system's AI service sends them: base64 in a JSON field (`video_frame`), optionally as a
 * `data:` URL, with a declared `format`. The bytes decide what the image is (JPEG or PNG, by their signature); a
 * declared format or data-URL type that says otherwise is refused rather than trusted. Dimensions are the pool's to
 * check: it reads them from the header before decoding anything.
 */

/** Declared formats: `jpg` is taken as `jpeg`. */
export const declaredImageFormat = z.enum(["jpeg", "jpg", "png"]);

/** A whole body of an image route: base64 of `STILL_IMAGE_LIMITS.maxBytes`, plus the JSON around it. */
export const MAX_IMAGE_BODY_BYTES = 8 * 1024 * 1024;

const DATA_URL = /^data:([^;,]*)(;[^,]*)?,/i;
/** MIME-wrapped base64 (76-character lines) is common from scripts: line breaks and spaces are dropped. */
const WHITESPACE = /[\r\n\t ]+/g;

function invalidImage(message: string, path = "body.video_frame"): EngineError {
  return new EngineError("invalid_image", message, { details: [{ path, message }] });
}

function formatOf(declared: string): StillImageFormat {
  return declared === "png" ? "png" : "jpeg";
}

/** The image's bytes and format; `invalid_image` for garbage or a mismatch, `payload_too_large` over 4 MB. */
export function decodeStillImage(videoFrame: string, declared?: z.infer<typeof declaredImageFormat>): { bytes: Uint8Array; format: StillImageFormat } {
  let data = videoFrame;
  let urlFormat: StillImageFormat | null = null;
  const dataUrl = DATA_URL.exec(data);
  if (dataUrl !== null) {
    const type = (dataUrl[1] ?? "").toLowerCase();
    if (!/;base64$/i.test(dataUrl[2] ?? "")) throw invalidImage("a data: URL image must be base64 (data:image/jpeg;base64,...)");
    if (type !== "" && type !== "image/jpeg" && type !== "image/jpg" && type !== "image/png") throw invalidImage(`the data: URL says ${type.slice(0, 64)}: only image/jpeg and image/png are taken`);
    urlFormat = type === "" ? null : type === "image/png" ? "png" : "jpeg";
    data = data.slice(dataUrl[0].length);
  }
  data = data.replace(WHITESPACE, "");
  if (data === "" || !BASE64_TEXT.test(data) || data.length % 4 === 1) throw invalidImage("video_frame is not valid base64");
  const maxBytes = STILL_IMAGE_LIMITS.maxBytes;
  // Checked on the text, before decoding: base64 is 4 characters per 3 bytes.
  if (Math.floor((data.replace(/=+$/, "").length * 3) / 4) > maxBytes) {
    throw new EngineError("payload_too_large", `images are limited to ${maxBytes / 1024 / 1024} MB`, { details: [{ path: "body.video_frame", message: `at most ${maxBytes} bytes` }] });
  }
  const bytes = new Uint8Array(Buffer.from(data, "base64"));
  const format = sniffImageFormat(bytes);
  if (format === null) throw invalidImage("video_frame is not a JPEG or PNG image");
  if (declared !== undefined && formatOf(declared) !== format) throw invalidImage(`format says ${declared} but the image is a ${format.toUpperCase()}`, "body.format");
  if (urlFormat !== null && urlFormat !== format) throw invalidImage(`the data: URL says image/${urlFormat} but the image is a ${format.toUpperCase()}`);
  return { bytes, format };
}
