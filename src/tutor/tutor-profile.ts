/**
 * A tutor profile: who the AI tutor is (system prompt, greeting), which language model settings it answers with,
 * how it sounds (eSpeak NG voice and rate) and how it takes turns (speech detection thresholds). Profiles are stored
 * by `TutorStore` and set over `PUT /api/v1/tutors/{tutor_id}`; a session without a stored profile uses
 * `defaultTutorProfile(...)`, fed from the environment.
 *
 * Pure data and zod, no Node imports.
 */
import { z } from "zod";
import { storable } from "../storable-text.js";

/** Bounds of every numeric and text field, for the API, the OpenAPI document and the environment variables. */
export const TUTOR_LIMITS = {
  nameChars: 100,
  systemPromptChars: 8_000,
  greetingChars: 500,
  modelChars: 200,
  voiceNameChars: 40,
  temperature: { min: 0, max: 2 },
  maxTokens: { min: 1, max: 4_096 },
  rateWpm: { min: 80, max: 450 },
  vadThreshold: { min: 0.1, max: 0.95 },
  endOfTurnSilenceMs: { min: 200, max: 3_000 },
  minInterruptionMs: { min: 100, max: 2_000 },
} as const;

/** Languages a tutor can speak: the only offline recognizer is Whisper tiny.en, so English alone for now. */
export const TUTOR_LANGUAGES = ["en"] as const;
export type TutorLanguage = (typeof TUTOR_LANGUAGES)[number];

const LANGUAGE_MESSAGE = "only English (\"en\") is supported: the offline speech recognizer is Whisper tiny.en";

/** eSpeak NG voice ids: `en-us`, `en-gb-x-rp`, `en+f3` (a voice with a variant). */
const VOICE_NAME = /^[A-Za-z0-9+-]+$/;

export const DEFAULT_TUTOR_ID = "default";

const DEFAULT_SYSTEM_PROMPT = [
  "You are a friendly, patient tutor talking with a student by voice.",
  "Keep every reply short: one to three spoken sentences, in plain words, with no lists, markdown, code or emoji, since your words are read aloud.",
  "Guide the student to the answer with one question or hint at a time rather than giving the whole solution; check that they understood before moving on.",
  "Praise real effort, correct mistakes gently, and say so honestly when you are not sure of something.",
  "When passages from the course material are given, base your answer on them; if they do not cover the question, say so.",
].join(" ");

/** Settings of the tutor the engine uses when a session names no stored profile (before environment overrides). */
export const DEFAULT_TUTOR_PROFILE = {
  name: "Tutor",
  language: "en",
  system_prompt: DEFAULT_SYSTEM_PROMPT,
  llm: { model: null, temperature: 0.7, max_tokens: 300 },
  voice: { name: "en-us", rate_wpm: 175 },
  turn: { vad_threshold: 0.5, end_of_turn_silence_ms: 500, min_interruption_ms: 300 },
  greeting: "Hi! I'm your tutor. What would you like to work on today?",
} as const satisfies TutorSettingsShape;

const D = DEFAULT_TUTOR_PROFILE;
const L = TUTOR_LIMITS;

/** A number within `range`, its default `fallback` (whole numbers with `int`). */
function bounded(range: { min: number; max: number }, fallback: number, int = false) {
  const number = int ? z.number().int() : z.number();
  return number.min(range.min).max(range.max).default(fallback);
}

export const llmSettings = z.strictObject({
  model: storable(z.string().trim().min(1).max(L.modelChars))
    .nullable()
    .default(D.llm.model)
    .describe("the model asked for; null or absent → the engine's LLM_MODEL"),
  temperature: bounded(L.temperature, D.llm.temperature),
  max_tokens: bounded(L.maxTokens, D.llm.max_tokens, true),
});

export const voiceSettings = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(L.voiceNameChars)
    .regex(VOICE_NAME, "an eSpeak NG voice id: letters, digits, - and + only (e.g. en-us, en-gb-x-rp, en+f3)")
    .default(D.voice.name),
  rate_wpm: bounded(L.rateWpm, D.voice.rate_wpm, true).describe("speaking rate, words per minute"),
});

export const turnSettings = z.strictObject({
  vad_threshold: bounded(L.vadThreshold, D.turn.vad_threshold).describe("speech probability above which a frame counts as speech"),
  end_of_turn_silence_ms: bounded(L.endOfTurnSilenceMs, D.turn.end_of_turn_silence_ms, true).describe("silence after the student's speech that ends their turn"),
  min_interruption_ms: bounded(L.minInterruptionMs, D.turn.min_interruption_ms, true).describe("speech by the student this long stops the tutor talking"),
});

/**
 * A profile's settings: everything but its id and times. Every field is optional and takes the default above;
 * unknown fields are refused (strict objects at every level). `prefault` parses an absent group, so its fields'
 * defaults apply.
 */
export const tutorSettings = z.strictObject({
  name: storable(z.string().trim().min(1).max(L.nameChars)).default(D.name),
  language: z.literal(TUTOR_LANGUAGES, { error: LANGUAGE_MESSAGE }).default(D.language),
  system_prompt: storable(z.string().max(L.systemPromptChars)).default(D.system_prompt),
  llm: llmSettings.prefault({}),
  voice: voiceSettings.prefault({}),
  turn: turnSettings.prefault({}),
  greeting: storable(z.string().max(L.greetingChars)).default(D.greeting).describe("said when a session starts; empty → no greeting"),
});

export type TutorSettings = z.output<typeof tutorSettings>;

/** The structural shape `DEFAULT_TUTOR_PROFILE` must satisfy (readonly literals allowed). */
interface TutorSettingsShape {
  readonly name: string;
  readonly language: TutorLanguage;
  readonly system_prompt: string;
  readonly llm: { readonly model: string | null; readonly temperature: number; readonly max_tokens: number };
  readonly voice: { readonly name: string; readonly rate_wpm: number };
  readonly turn: { readonly vad_threshold: number; readonly end_of_turn_silence_ms: number; readonly min_interruption_ms: number };
  readonly greeting: string;
}

export interface TutorProfile extends TutorSettings {
  tutor_id: string;
  created_at: Date;
  updated_at: Date;
}

/** Any subset of the settings, at any depth; an absent or `undefined` field keeps the default. */
export interface TutorSettingsOverrides {
  name?: string;
  language?: string;
  system_prompt?: string;
  llm?: Partial<TutorSettings["llm"]>;
  voice?: Partial<TutorSettings["voice"]>;
  turn?: Partial<TutorSettings["turn"]>;
  greeting?: string;
}

/**
 * `DEFAULT_TUTOR_PROFILE` with `overrides` merged in (deep: `{voice: {rate_wpm: 150}}` keeps the default voice name),
 * then validated like a profile sent over the API. Throws zod's `ZodError` naming each bad field by its path
 * (`voice.rate_wpm`), so configuration can name the variable it came from.
 */
export function defaultTutorProfile(overrides: TutorSettingsOverrides = {}): TutorSettings {
  return tutorSettings.parse(mergeDeep(DEFAULT_TUTOR_PROFILE, overrides));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `overrides` over `base`, recursing into plain objects; an `undefined` override keeps the base value. */
function mergeDeep(base: object, overrides: object): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
  }
  return merged;
}
