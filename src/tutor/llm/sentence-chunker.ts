/**
 * Cuts a streamed reply into sentences as soon as each is complete, so speech synthesis can start on the first
 * sentence while the model writes the second. Pure: no timers, no I/O.
 */

export interface SentenceChunkerOptions {
  /** A run-on "sentence" longer than this is cut (at a comma, else a space) so synthesis never waits for its end. */
  maxChars: number;
  locale: string;
}

export const SENTENCE_CHUNKER_DEFAULTS: SentenceChunkerOptions = { maxChars: 240, locale: "en" };

/**
 * Words that end in a full stop without ending the sentence. ICU's sentence rules split after "Dr." before a
 * capital, and no engine honours its suppression lists (`-u-ss-standard`), so these are checked here. "etc." and
 * "No." are left out on purpose: they end sentences often in speech.
 */
const ABBREVIATIONS = new Set(["mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "cf", "approx", "fig", "eq", "vol", "ch", "sec", "viz", "ca"]);

/** Terminal punctuation, optional closing quotes or brackets, then whitespace: a sentence's end before the next one begins. */
const TERMINAL_THEN_SPACE = /[.!?。！？]["'”’)\]]*\s+$/u;
/** The last word before a final full stop. */
const LAST_WORD_WITH_STOP = /(?:^|[\s(["'“‘])(\p{L}+)\.["'”’)\]]*\s*$/u;
/** "e.g.", "i.e.", "U.S.", "p.m.": letters each with a stop; a single capital with a stop is an initial ("J. Smith"). */
const INITIALISM = /(?:^|[\s(["'“‘])(?:\p{L}\.){2,}\s*$|(?:^|\s)\p{Lu}\.\s*$/u;
/** A list number alone on its line ("1. "), which ICU takes for a sentence. */
const LIST_NUMBER = /(?:^|\n)\s*\d{1,3}\.\s*$/u;

/** Whether `text` ends in a full stop that does not end a sentence. */
function endsInNonFinalStop(text: string): boolean {
  const word = LAST_WORD_WITH_STOP.exec(text)?.[1];
  if (word !== undefined && ABBREVIATIONS.has(word.toLowerCase())) return true;
  return INITIALISM.test(text) || LIST_NUMBER.test(text);
}

/**
 * Splits `text` into pieces of at most `maxChars`: each cut after the last comma in the window's second half, else
 * at its last whitespace, else (one long word, a URL) at `maxChars` itself, never inside a surrogate pair.
 */
export function capLength(text: string, maxChars: number): { pieces: string[]; rest: string } {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    const window = rest.slice(0, maxChars + 1);
    const comma = window.lastIndexOf(",", maxChars - 1);
    const space = window.search(/\s\S*$/u);
    let cut = comma >= maxChars / 2 ? comma + 1 : space > 0 ? space : maxChars;
    if (cut === maxChars && isHighSurrogate(rest.charCodeAt(cut - 1))) cut -= 1;
    const piece = rest.slice(0, cut).trim();
    if (piece !== "") pieces.push(piece);
    rest = rest.slice(cut).trimStart();
  }
  return { pieces, rest };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export class SentenceChunker {
  readonly #options: SentenceChunkerOptions;
  readonly #segmenter: Intl.Segmenter;
  /** Text received but not yet returned: at most one incomplete sentence, never over `maxChars`. */
  #pending = "";

  constructor(options: Partial<SentenceChunkerOptions> = {}) {
    this.#options = { ...SENTENCE_CHUNKER_DEFAULTS, ...options };
    if (!(this.#options.maxChars >= 1)) throw new RangeError("maxChars must be at least 1");
    this.#segmenter = new Intl.Segmenter(this.#options.locale, { granularity: "sentence" });
  }

  /** Adds a streamed delta; returns the sentences it completed, trimmed, in order (often none). */
  push(delta: string): string[] {
    this.#pending += delta;
    const sentences: string[] = [];
    let start = 0;
    const segments = [...this.#segmenter.segment(this.#pending)];
    for (const [i, { index, segment }] of segments.entries()) {
      const end = index + segment.length;
      // A segment is complete once the next one has begun, or (the last) once it ends in punctuation and a space.
      const complete = i < segments.length - 1 || TERMINAL_THEN_SPACE.test(segment);
      if (!complete) break;
      const sentence = this.#pending.slice(start, end);
      if (endsInNonFinalStop(sentence)) continue; // "Dr. " + "Smith …": one sentence with the next segment
      sentences.push(...this.#capped(sentence));
      start = end;
    }
    const { pieces, rest } = capLength(this.#pending.slice(start), this.#options.maxChars);
    this.#pending = rest;
    return [...sentences, ...pieces];
  }

  /** Ends the reply: returns what is left (none or one sentence, possibly without final punctuation). */
  flush(): string[] {
    const rest = this.#pending.trim();
    this.#pending = "";
    return rest === "" ? [] : [rest];
  }

  /** Drops what is pending (an interrupted reply): nothing more will be spoken of it. */
  reset(): void {
    this.#pending = "";
  }

  #capped(sentence: string): string[] {
    const { pieces, rest } = capLength(sentence, this.#options.maxChars);
    const last = rest.trim();
    return last === "" ? pieces : [...pieces, last];
  }
}
