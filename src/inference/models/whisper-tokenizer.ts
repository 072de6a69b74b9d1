import { readFile } from "node:fs/promises";
import { z } from "zod";
import { InferenceError } from "./inference-error.js";

/**
 * Whisper's GPT-2 byte-level BPE vocabulary, as extracted from the shipped model's BpeDecoder node by
 * `prepareWhisper`. Tokens are strings over a 256-character alphabet that stands for bytes; `byteDecoder` maps
 * each character (as a code point) back to its byte.
 */
export const whisperVocabularySchema = z.object({
  format: z.literal(1),
  /** Token text by id (ids 0 … idVocab.length − 1). */
  idVocab: z.array(z.string()),
  /** [code point, byte] pairs. */
  byteDecoder: z.array(z.tuple([z.number().int(), z.number().int().min(0).max(255)])),
  /** [id, text] for the special tokens (<|endoftext|>, language, task and timestamp tokens). */
  addedTokens: z.array(z.tuple([z.number().int(), z.string()])),
  /** Ids at or above this are special and never part of the transcript. */
  firstSpecialId: z.number().int(),
});

export type WhisperVocabulary = z.infer<typeof whisperVocabularySchema>;

export class WhisperTokenizer {
  private readonly tokens: readonly string[];
  private readonly byteOf: ReadonlyMap<number, number>;
  private readonly firstSpecialId: number;
  /** `<|endoftext|>`: a sequence that does not end with it was cut at its length bound. */
  readonly endOfTextId: number | null;
  /** Non-fatal: a sequence cut at max_length can end inside a multi-byte character. */
  private readonly utf8 = new TextDecoder("utf-8", { fatal: false });

  constructor(vocabulary: WhisperVocabulary) {
    this.tokens = vocabulary.idVocab;
    this.byteOf = new Map(vocabulary.byteDecoder);
    this.firstSpecialId = vocabulary.firstSpecialId;
    this.endOfTextId = vocabulary.addedTokens.find(([, text]) => text === "<|endoftext|>")?.[0] ?? null;
  }

  static async fromFile(path: string): Promise<WhisperTokenizer> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, "utf8"));
    } catch (cause) {
      throw new InferenceError("model_unavailable", `could not read the Whisper vocabulary ${path}`, { cause });
    }
    const result = whisperVocabularySchema.safeParse(parsed);
    if (!result.success) {
      throw new InferenceError("model_unavailable", `the Whisper vocabulary ${path} is malformed`, {
        cause: result.error,
      });
    }
    return new WhisperTokenizer(result.data);
  }

  /** Ids → text. Special tokens (≥ firstSpecialId) and unknown ids are skipped; the result is trimmed. */
  decode(ids: Iterable<number>): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (id < 0 || id >= this.firstSpecialId) continue;
      const token = this.tokens[id];
      if (token === undefined) continue;
      for (const char of token) {
        const byte = this.byteOf.get(char.codePointAt(0) ?? -1);
        if (byte !== undefined) bytes.push(byte);
      }
    }
    return this.utf8.decode(Uint8Array.from(bytes)).trim();
  }
}
