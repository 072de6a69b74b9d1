import { decode, encode } from "jpeg-js";
import { MAX_VIDEO_FRAME_HEIGHT, MAX_VIDEO_FRAME_WIDTH, MAX_VIDEO_MESSAGE_BYTES } from "../src/protocol/client-messages.js";
import { createTestPhotos } from "../test/support/test-photos.js";
import type { VideoFrameKind } from "./load-options.js";

/**
 * The camera frame of a load run: one real face photo (the astronaut portrait of Debian's `python3-skimage`, fetched
 * and cached by `test/support/test-photos.ts`), the same JPEG bytes for every camera and every frame. Kinds
 * (`VIDEO_FRAME_KINDS`, in load-options.ts):
 * - `webcam`: 640×480 at quality 80, what the browser client sends (`web/src/camera.ts`: 640×480 ideal, first
 *   encoding at 0.8). The portrait is scaled 1.25× (bilinear) to 640 wide and its top 480 rows kept, so the frame is
 *   all photo (no bars) and the face sits in the upper middle, as in a webcam.
 * - `portrait`: the 512×512 quality-90 JPEG the video tests use.
 */
export interface VideoFrame {
  kind: VideoFrameKind;
  width: number;
  height: number;
  jpeg: Uint8Array;
  source: string;
}

const WEBCAM = { width: 640, height: 480, quality: 80 } as const;

export async function loadVideoFrame(kind: VideoFrameKind): Promise<VideoFrame> {
  const photo = await createTestPhotos().photo("astronaut");
  const frame: VideoFrame =
    kind === "portrait"
      ? { kind, width: photo.width, height: photo.height, jpeg: photo.jpeg, source: `astronaut ${photo.width}×${photo.height} q90 (python3-skimage)` }
      : { kind, ...webcamFrame(photo.jpeg), source: `astronaut scaled to ${WEBCAM.width}×${WEBCAM.height} q${WEBCAM.quality} (python3-skimage)` };
  // The frame must be one the room takes: a refused frame would measure the refusal, not the analysis.
  if (frame.jpeg.byteLength > MAX_VIDEO_MESSAGE_BYTES || frame.width > MAX_VIDEO_FRAME_WIDTH || frame.height > MAX_VIDEO_FRAME_HEIGHT) {
    throw new Error(`the ${kind} frame (${frame.width}×${frame.height}, ${frame.jpeg.byteLength} B) is over the video limits`);
  }
  return frame;
}

function webcamFrame(portraitJpeg: Uint8Array): { width: number; height: number; jpeg: Uint8Array } {
  const src = decode(portraitJpeg, { useTArray: true, formatAsRGBA: true });
  const scale = WEBCAM.width / src.width;
  const out = new Uint8Array(WEBCAM.width * WEBCAM.height * 4);
  for (let y = 0; y < WEBCAM.height; y++) {
    const sy = Math.min(src.height - 1, (y + 0.5) / scale - 0.5);
    const y0 = Math.max(0, Math.floor(sy));
    const y1 = Math.min(src.height - 1, y0 + 1);
    const fy = Math.max(0, sy - y0);
    for (let x = 0; x < WEBCAM.width; x++) {
      const sx = Math.min(src.width - 1, Math.max(0, (x + 0.5) / scale - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(src.width - 1, x0 + 1);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => src.data[(yy * src.width + xx) * 4 + c] ?? 0;
        const top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
        const bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
        out[(y * WEBCAM.width + x) * 4 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
      out[(y * WEBCAM.width + x) * 4 + 3] = 255;
    }
  }
  const jpeg = encode({ width: WEBCAM.width, height: WEBCAM.height, data: out }, WEBCAM.quality).data;
  return { width: WEBCAM.width, height: WEBCAM.height, jpeg: new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength) };
}
