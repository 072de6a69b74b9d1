import { describe, expect, it } from "vitest";
import { chunkDocument, passageTitle } from "../../src/tutor/knowledge/chunking.js";
import { KNOWLEDGE_LIMITS, documentChunks } from "../../src/tutor/knowledge/documents.js";
import { isEngineError } from "../../src/errors.js";
import { mulberry32 } from "../support/seeded-random.js";

const words = (text: string): string[] => text.split(/\s+/).filter((word) => word !== "");

describe("Markdown", () => {
  it("splits at headings, keeping each passage's heading path", () => {
    const doc = [
      "Before any heading.",
      "# Biology",
      "Cells are small.",
      "## Organelles",
      "### Mitochondria ###",
      "They make ATP.",
      "## Genetics",
      "DNA holds genes.",
      "# Chemistry",
      "Atoms bond.",
    ].join("\n\n");
    expect(chunkDocument("markdown", doc)).toEqual([
      { headings: [], text: "Before any heading." },
      { headings: ["Biology"], text: "Cells are small." },
      { headings: ["Biology", "Organelles", "Mitochondria"], text: "They make ATP." },
      { headings: ["Biology", "Genetics"], text: "DNA holds genes." },
      { headings: ["Chemistry"], text: "Atoms bond." },
    ]);
  });

  it("takes setext headings, a heading level skipped, and headings with no text under them", () => {
    const doc = "Course\n======\n\nIntro.\n\nUnit one\n--------\nFirst.\n\n#### Detail\n\nDeep.\n\n## Empty\n\n## Unit two\n\nSecond.";
    expect(chunkDocument("markdown", doc)).toEqual([
      { headings: ["Course"], text: "Intro." },
      { headings: ["Course", "Unit one"], text: "First." },
      { headings: ["Course", "Unit one", "Detail"], text: "Deep." },
      { headings: ["Course", "Unit two"], text: "Second." },
    ]);
  });

  it("keeps fenced code whole: a # or a blank line inside it is content", () => {
    const code = "```python\n# a comment, not a heading\n\nprint(1)\n```";
    expect(chunkDocument("markdown", `# Code\n\n${code}\n\nAfter.`)).toEqual([{ headings: ["Code"], text: `${code}\n\nAfter.` }]);
  });

  it("treats thematic breaks as blank lines, and lists under a --- as no heading", () => {
    expect(chunkDocument("markdown", "One.\n\n---\n\n- a\n- b\n---\nTwo.")).toEqual([{ headings: [], text: "One.\n\n- a\n- b\n\nTwo." }]);
  });

  it("reads Windows line ends", () => {
    expect(chunkDocument("markdown", "# Title\r\n\r\nLine one.\r\nLine two.\r\n\r\nNext.")).toEqual([{ headings: ["Title"], text: "Line one.\nLine two.\n\nNext." }]);
  });
});

describe("packing and splitting", () => {
  it("packs a section's paragraphs together up to the limit, never across a heading", () => {
    const paragraph = "x".repeat(40);
    const doc = `# A\n\n${paragraph}\n\n${paragraph}\n\n${paragraph}\n\n# B\n\n${paragraph}`;
    expect(chunkDocument("markdown", doc, { maxChars: 90 }).map((p) => [p.headings, p.text.length])).toEqual([
      [["A"], 82],
      [["A"], 40],
      [["B"], 40],
    ]);
  });

  it("splits a long paragraph between sentences", () => {
    const sentences = Array.from({ length: 40 }, (_, i) => `Sentence ${i} is about Dr. Smith's cells.`);
    const passages = chunkDocument("text", sentences.join(" "), { maxChars: 200 });
    expect(passages.length).toBeGreaterThan(5);
    for (const passage of passages) {
      expect(passage.text.length).toBeLessThanOrEqual(200);
      expect(passage.text).toMatch(/^Sentence \d+ .*cells\.$/);
    }
    expect(passages.map((p) => p.text).join(" ")).toBe(sentences.join(" "));
  });

  it("splits a sentence longer than the limit between words, and keeps an over-long word whole", () => {
    const url = `https://example.com/${"a".repeat(80)}`;
    const sentence = `one two three four five six seven eight nine ten ${url} eleven twelve`;
    const passages = chunkDocument("text", sentence, { maxChars: 30 }).map((p) => p.text);
    expect(passages).toContain(url);
    expect(passages.flatMap(words)).toEqual(words(sentence));
    for (const passage of passages.filter((p) => p !== url)) expect(passage.length).toBeLessThanOrEqual(30);
  });

  it("a short paragraph after a split one joins its last piece", () => {
    const long = Array.from({ length: 6 }, (_, i) => `Long sentence ${i} here.`).join(" ");
    const passages = chunkDocument("text", `${long}\n\nShort.`, { maxChars: 60 }).map((p) => p.text);
    expect(passages.at(-1)).toMatch(/here\.\n\nShort\.$/);
  });

  it("never loses or cuts a word, and keeps every passage within the limit (seeded random documents)", () => {
    const random = mulberry32(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const vocabulary = ["cell", "energy", "Mitochondria", "A", "the", "photosynthesis", "e.g.", "x".repeat(25), "ATP,", "why?"];
    for (let doc = 0; doc < 50; doc += 1) {
      const lines: string[] = [];
      for (let line = 0; line < 60; line += 1) {
        const kind = random();
        if (kind < 0.1) lines.push(`${"#".repeat(1 + Math.floor(random() * 3))} ${pick(vocabulary)}`);
        else if (kind < 0.3) lines.push("");
        else lines.push(Array.from({ length: 1 + Math.floor(random() * 30) }, () => pick(vocabulary)).join(random() < 0.3 ? ". " : " "));
      }
      const content = lines.join("\n");
      const maxChars = 40 + Math.floor(random() * 200);
      for (const format of ["text", "markdown"] as const) {
        const passages = chunkDocument(format, content, { maxChars });
        for (const passage of passages) expect(passage.text.length).toBeLessThanOrEqual(maxChars);
        const kept = passages.flatMap((p) => [...p.headings.flatMap(words), ...words(p.text)]);
        if (format === "text") expect(passages.flatMap((p) => words(p.text))).toEqual(words(content));
        else expect(new Set(kept)).toEqual(new Set(words(content.replace(/^#+ /gm, ""))));
      }
    }
  });

  it("finds no passage in whitespace", () => {
    expect(chunkDocument("text", " \n\n\t\n")).toEqual([]);
    expect(chunkDocument("markdown", "# Only a heading\n\n## And another")).toEqual([]);
  });

  it("plain text has no headings: a # line is text", () => {
    expect(chunkDocument("text", "# not a heading\nbody\n\n\n\nnext")).toEqual([{ headings: [], text: "# not a heading\nbody\n\nnext" }]);
  });
});

describe("document limits and titles", () => {
  it("titles passages with the document title and heading path", () => {
    expect(passageTitle("Biology", ["Cells", "Mitochondria"])).toBe("Biology › Cells › Mitochondria");
    expect(passageTitle(null, ["Cells"])).toBe("Cells");
    expect(passageTitle(null, [])).toBeNull();
    expect(passageTitle("  ", [])).toBeNull();
    expect(documentChunks({ title: "Notes", format: "markdown", content: "# A\n\nx\n\n# B\n\ny" })).toEqual({
      bytes: 14,
      chunks: [{ chunkIndex: 0, title: "Notes › A", text: "x" }, { chunkIndex: 1, title: "Notes › B", text: "y" }],
    });
  });

  it("refuses over 512 KB of UTF-8 and over 2,000 passages", () => {
    const tooLarge = (content: string, format: "text" | "markdown" = "text") => {
      try {
        documentChunks({ title: null, format, content });
        return false;
      } catch (error) {
        return isEngineError(error, "payload_too_large");
      }
    };
    // 2-byte characters: the limit counts bytes, not characters.
    expect(tooLarge("é".repeat(KNOWLEDGE_LIMITS.maxDocumentBytes / 2))).toBe(false);
    expect(tooLarge("é".repeat(KNOWLEDGE_LIMITS.maxDocumentBytes / 2 + 1))).toBe(true);
    const sections = (count: number) => Array.from({ length: count }, (_, i) => `# ${i}\n\ntext`).join("\n\n");
    expect(tooLarge(sections(KNOWLEDGE_LIMITS.maxChunks), "markdown")).toBe(false);
    expect(tooLarge(sections(KNOWLEDGE_LIMITS.maxChunks + 1), "markdown")).toBe(true);
  });
});
