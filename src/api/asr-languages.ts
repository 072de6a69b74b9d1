import { EngineError } from "../errors.js";
import type { InferenceGateway } from "../inference/inference-gateway.js";
import type { ModelStatusView } from "../inference/pool-service.js";

/**
 * Which languages each speech recognition model of the registry recognises, by its registry name: the API refuses
 * a language no loaded model has (`language_unsupported`) instead of transcribing it as English. A multilingual
 * model added to the registry is one more entry here.
 */
export const ASR_MODEL_LANGUAGES: Readonly<Record<string, { label: string; languages: readonly string[] }>> = {
  whisper_tiny_en_int8: { label: "Whisper tiny.en", languages: ["en"] },
};

const LANGUAGE_NAMES: Readonly<Record<string, string>> = { en: "English" };
const NAME_CODES: Readonly<Record<string, string>> = { english: "en" };

/** `en`, `en-US`, `EN_gb`, `English` → `en`; anything else → its primary subtag, lower-cased. */
export function languageCode(language: string): string {
  const lower = language.trim().toLowerCase();
  return NAME_CODES[lower] ?? lower.split(/[-_]/)[0] ?? lower;
}

/** What a model of the registry recognises (English for one this table lacks: every model shipped today is). */
function languagesOf(name: string): { label: string; languages: readonly string[] } {
  return ASR_MODEL_LANGUAGES[name] ?? { label: name, languages: ["en"] };
}

/** The speech recognition models of a pool status that are loaded. */
export function loadedAsrModels(models: readonly ModelStatusView[]): ModelStatusView[] {
  return models.filter((model) => model.task === "asr" && model.state === "loaded");
}

/** The pool's speech recognition model as a status shows it: the loaded one (else the first listed), its languages. */
export function asrModelView(models: readonly ModelStatusView[]): { model: string | null; loaded: boolean; languages: string[] } {
  const model = loadedAsrModels(models)[0] ?? models.find((entry) => entry.task === "asr");
  if (model === undefined) return { model: null, loaded: false, languages: [] };
  return { model: model.name, loaded: model.state === "loaded", languages: [...languagesOf(model.name).languages] };
}

/** The languages of the loaded models (or of every registry model when none is loaded or the pool does not answer). */
async function availableLanguages(inference: InferenceGateway): Promise<{ codes: Set<string>; labels: string[] }> {
  const models = await inference.status().then(
    (status) => loadedAsrModels(status.models).map((model) => model.name),
    () => [],
  );
  const names = models.length > 0 ? models : Object.keys(ASR_MODEL_LANGUAGES);
  const codes = new Set<string>();
  const labels: string[] = [];
  for (const name of names) {
    const { label, languages } = languagesOf(name);
    for (const code of languages) codes.add(code);
    labels.push(`${languages.map((code) => LANGUAGE_NAMES[code] ?? code).join(", ")} (${label})`);
  }
  return { codes, labels };
}

/**
 * Resolves for a language the loaded models recognise (unset and English at once, without asking the pool);
 * rejects `language_unsupported` naming the ones they do ("only English (Whisper tiny.en)").
 */
export async function requireRecognisedLanguage(language: string | undefined, inference: InferenceGateway, field: string): Promise<void> {
  if (language === undefined || languageCode(language) === "en") return;
  const code = languageCode(language);
  const available = await availableLanguages(inference);
  if (available.codes.has(code)) return;
  throw new EngineError("language_unsupported", `language "${language.slice(0, 64)}" cannot be recognised: only ${available.labels.join("; ")} is available; send ${[...available.codes].map((c) => `"${c}"`).join(" or ")} or leave it unset`, {
    details: [{ path: field, message: `supported: ${[...available.codes].join(", ")}` }],
  });
}
