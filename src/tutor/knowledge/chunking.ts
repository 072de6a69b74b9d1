/**
 * Splits a knowledge-base document into passages a student's question can retrieve on its own: small enough to put a
 * few into a prompt, whole enough to make sense alone. Markdown is split at headings (each passage keeps its heading
 * path as context) and blank lines; plain text at blank lines. Paragraphs of one section are packed together up to
 * `maxChars`; a longer paragraph is split between sentences, a longer sentence between words. A word is never cut:
 * a single word over `maxChars` (a long URL) makes a passage of its own.
 *
 * Pure: no I/O.
 */

export type DocumentFormat = "text" | "markdown";

export interface Passage {
  /** Headings above the passage, outermost first (empty for plain text and text before the first heading). */
  headings: string[];
  text: string;
}

export interface ChunkingOptions {
  /** Longest passage, in UTF-16 characters (a single longer word excepted). */
  maxChars: number;
}

export const CHUNKING_DEFAULTS: ChunkingOptions = { maxChars: 1_000 };

interface Section {
  headings: string[];
  blocks: string[];
}

/** The passages of `content`, in document order. Whitespace-only content has none. */
export function chunkDocument(format: DocumentFormat, content: string, options: Partial<ChunkingOptions> = {}): Passage[] {
  const { maxChars } = { ...CHUNKING_DEFAULTS, ...options };
  const normalized = content.replace(/\r\n?/g, "\n");
  const sections = format === "markdown" ? markdownSections(normalized) : [{ headings: [], blocks: blankLineBlocks(normalized) }];
  return sections.flatMap((section) => packBlocks(section.blocks, maxChars).map((text) => ({ headings: section.headings, text })));
}

/** `Course › Chapter › Section`, with the document's title first when it has one; null when there is nothing. */
export function passageTitle(documentTitle: string | null, headings: readonly string[]): string | null {
  const parts = [...(documentTitle === null ? [] : [documentTitle]), ...headings].map((part) => part.trim()).filter((part) => part !== "");
  return parts.length === 0 ? null : parts.join(" › ");
}

function blankLineBlocks(text: string): string[] {
  return text
    .split(/\n[ \t]*\n/)
    .map((block) => block.trim())
    .filter((block) => block !== "");
}

const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
/** A block that a `---` line under it does not turn into a heading: list items, quotes, tables. */
const NOT_SETEXT_TEXT = /^ {0,3}([-*+>|]|\d+[.)])/;

/**
 * Sections of a Markdown document: the heading path (ATX `#` and setext underlines) and the blank-line blocks under
 * it. Fenced code is kept whole: a `#` or blank line inside a fence is content.
 */
function markdownSections(text: string): Section[] {
  const sections: Section[] = [];
  const stack: { level: number; text: string }[] = [];
  let section: Section = { headings: [], blocks: [] };
  let block: string[] = [];
  let fence: string | null = null;

  const flushBlock = () => {
    const joined = block.join("\n").trim();
    if (joined !== "") section.blocks.push(joined);
    block = [];
  };
  const startSection = (level: number, heading: string) => {
    flushBlock();
    if (section.blocks.length > 0) sections.push(section);
    while ((stack.at(-1)?.level ?? 0) >= level) stack.pop();
    if (heading !== "") stack.push({ level, text: heading });
    section = { headings: stack.map((entry) => entry.text), blocks: [] };
  };

  for (const line of text.split("\n")) {
    if (fence !== null) {
      block.push(line);
      if (closesFence(line, fence)) fence = null;
      continue;
    }
    const fenceOpen = FENCE.exec(line);
    if (fenceOpen?.[1] !== undefined) {
      fence = fenceOpen[1];
      block.push(line);
      continue;
    }
    const atx = ATX_HEADING.exec(line);
    if (atx?.[1] !== undefined) {
      startSection(atx[1].length, (atx[2] ?? "").trim());
      continue;
    }
    const underline = SETEXT_UNDERLINE.exec(line);
    const paragraph = block.length > 0 && !NOT_SETEXT_TEXT.test(block[0] ?? "");
    if (underline?.[1] !== undefined && paragraph) {
      const heading = block.map((entry) => entry.trim()).join(" ");
      block = [];
      startSection(underline[1].startsWith("=") ? 1 : 2, heading);
      continue;
    }
    if (line.trim() === "" || THEMATIC_BREAK.test(line)) {
      flushBlock();
      continue;
    }
    block.push(line);
  }
  flushBlock();
  if (section.blocks.length > 0) sections.push(section);
  return sections;
}

/** A closing fence: the opening's character, at least as many, nothing after. */
function closesFence(line: string, fence: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= fence.length && [...trimmed].every((char) => char === fence[0]);
}

/** Blocks of one section packed, in order, into passages of at most `maxChars` (blocks joined by a blank line). */
function packBlocks(blocks: readonly string[], maxChars: number): string[] {
  const passages: string[] = [];
  let current = "";
  for (const block of blocks) {
    if (current !== "" && current.length + 2 + block.length <= maxChars) {
      current = `${current}\n\n${block}`;
      continue;
    }
    if (current !== "") passages.push(current);
    if (block.length <= maxChars) {
      current = block;
      continue;
    }
    // The last piece of a split paragraph stays open, so a short paragraph after it can join it.
    const pieces = splitLong(block, maxChars, sentencesOf);
    current = pieces.pop() ?? "";
    passages.push(...pieces);
  }
  if (current !== "") passages.push(current);
  return passages;
}

/**
 * `text` cut into pieces of at most `maxChars` at the boundaries `segment` finds (sentences, then words), greedily;
 * a segment still too long is cut by words, and a single word too long stays whole.
 */
function splitLong(text: string, maxChars: number, segment: (text: string) => string[]): string[] {
  const pieces: string[] = [];
  let current = "";
  const flush = () => {
    const piece = current.trim();
    if (piece !== "") pieces.push(piece);
    current = "";
  };
  for (const part of segment(text)) {
    if ((current + part).trim().length <= maxChars) {
      current += part;
      continue;
    }
    flush();
    if (part.trim().length <= maxChars) {
      current = part;
      continue;
    }
    if (segment === wordsOf) {
      pieces.push(part.trim());
      continue;
    }
    const words = splitLong(part, maxChars, wordsOf);
    // Pieces come back trimmed: the space that ended the sentence goes back before the next one.
    current = `${words.pop() ?? ""} `;
    pieces.push(...words);
  }
  flush();
  return pieces;
}

/** Sentences with the whitespace after each, so joining them gives `text` back. */
function sentencesOf(text: string): string[] {
  const segmenter = new Intl.Segmenter("en", { granularity: "sentence" });
  return Array.from(segmenter.segment(text), (entry) => entry.segment);
}

/** Words with the whitespace after each. */
function wordsOf(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
