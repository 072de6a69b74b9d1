import { BLAZEFACE_MODULE } from "../models/blazeface.js";
import { DEEPFAKE_ONNX_MODULE } from "../models/deepfake-onnx.js";
import { ESPEAK_NG_MODULE } from "../models/espeak-tts.js";
import { ESRGAN_SLIM_MODULE } from "../models/esrgan.js";
import { FACE_EXPRESSION_MODULE } from "../models/face-expression.js";
import { RNNOISE_MODULE } from "../models/rnnoise-model.js";
import { SILERO_VAD_V5_MODULE } from "../models/silero-vad.js";
import { WHISPER_TINY_EN_INT8_MODULE } from "../models/whisper-asr.js";
import type { AnyModelModule } from "./model-module.js";

/**
 * Every model a pool can serve, in the order the pool loads and reports them. Add a module here and its name to
 * `model-names.ts`; nothing in the pool names a model.
 */
export const KNOWN_MODEL_MODULES: readonly AnyModelModule[] = [
  SILERO_VAD_V5_MODULE,
  WHISPER_TINY_EN_INT8_MODULE,
  BLAZEFACE_MODULE,
  FACE_EXPRESSION_MODULE,
  RNNOISE_MODULE,
  ESPEAK_NG_MODULE,
  ESRGAN_SLIM_MODULE,
  DEEPFAKE_ONNX_MODULE,
];
