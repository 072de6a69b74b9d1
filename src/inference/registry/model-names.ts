/**
 * The names INFERENCE_MODELS may list: one per module of `known-models.ts` (a unit test keeps the two equal). A list
 * of names apart from the modules so that configuration, read in the engine's main thread, checks them without
 * importing onnxruntime-node or TensorFlow.js there.
 */
export const KNOWN_MODEL_NAMES = ["silero_vad_v5", "whisper_tiny_en_int8", "blazeface_front_128", "human_emotion", "rnnoise", "espeak_ng", "esrgan_slim", "deepfake_onnx"] as const;
export type KnownModelName = (typeof KNOWN_MODEL_NAMES)[number];
