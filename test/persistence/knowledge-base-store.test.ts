/** The `KnowledgeBaseStore` contract, on PGlite and (when DATABASE_URL is set) Postgres. */
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { isEngineError } from "../../src/errors.js";
import { DrizzleKnowledgeBaseStore } from "../../src/persistence/drizzle-knowledge-base-store.js";
import type { KnowledgeDocumentInput } from "../../src/persistence/knowledge-base-store.js";
import { KNOWLEDGE_LIMITS } from "../../src/tutor/knowledge/documents.js";
import { storeContract } from "../support/store-contract.js";

const AT = new Date("2030-01-01T00:00:00.000Z");
const kb = () => `kb-${randomUUID()}`;

const CELLS = `# Cells

A cell is the smallest unit of life. Every cell is wrapped in a cell membrane, and a cell copies itself by dividing.
Plant cells also have a cell wall around the cell membrane; animal cells do not.`;

const ORGANELLES = `# Organelles

## Mitochondria

Mitochondria turn sugar and oxygen into ATP, the energy a cell runs on. This process is called cellular respiration.

## Nucleus

The nucleus holds the DNA and controls which proteins the cell makes.`;

const PHOTOSYNTHESIS = "Plants capture sunlight in their chloroplasts and use its energy to make sugar from water and carbon dioxide.";

async function expectTooLarge(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(isEngineError(error, "payload_too_large"), String(error)).toBe(true);
}

storeContract("KnowledgeBaseStore", ({ db }) => {
  const store = () => new DrizzleKnowledgeBaseStore(db());
  const put = (input: Omit<KnowledgeDocumentInput, "at">) => store().putDocument({ ...input, at: AT });
  async function biology(): Promise<string> {
    const id = kb();
    await put({ kbId: id, docId: "cells", title: "Biology", format: "markdown", content: CELLS });
    await put({ kbId: id, docId: "organelles", title: "Biology", format: "markdown", content: ORGANELLES });
    await put({ kbId: id, docId: "photosynthesis", format: "text", content: PHOTOSYNTHESIS });
    return id;
  }

  it("stores a document with its passages and reads it back", async () => {
    const id = kb();
    expect(await put({ kbId: id, docId: "organelles", title: "Biology", format: "markdown", content: ORGANELLES })).toEqual({ created: true, chunks: 2 });
    expect(await store().getDocument(id, "organelles")).toEqual({
      kbId: id, docId: "organelles", title: "Biology", format: "markdown", content: ORGANELLES,
      bytes: Buffer.byteLength(ORGANELLES), chunks: 2, createdAt: AT, updatedAt: AT,
    });
    expect(await store().getDocument(id, "missing")).toBeNull();
    expect(await store().getDocument(kb(), "organelles")).toBeNull();
  });

  it("finds the passage a question is about first, with its heading path as title", async () => {
    const id = await biology();
    const results = await store().search(id, "What do mitochondria do in a cell?", 5);
    expect(results[0]).toMatchObject({ docId: "organelles", chunkIndex: 0, title: "Biology › Organelles › Mitochondria" });
    expect(results[0]?.text).toMatch(/^Mitochondria turn sugar/);
    // Any shared word matches: the cells passage (only "cell") comes back too, after it.
    expect(results.map((result) => result.docId)).toContain("cells");
    const scores = results.map((result) => result.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(results.map((result) => result.docId)).not.toContain("photosynthesis");
    const plants = await store().search(id, "How do plants make their food from sunlight?", 5);
    expect(plants[0]).toMatchObject({ docId: "photosynthesis", chunkIndex: 0, title: null, text: PHOTOSYNTHESIS });
  });

  it("finds nothing for a question of stop words only, or no words, and takes any characters", async () => {
    const id = await biology();
    expect(await store().search(id, "what is it that they are doing?", 5)).toEqual([]);
    expect(await store().search(id, "", 5)).toEqual([]);
    expect(await store().search(id, "?! ... ---", 5)).toEqual([]);
    const odd = await store().search(id, "O'Reilly's C:\\cells\\ 'quoted' | & ! ( ) :* <-> cell", 5);
    expect(odd.map((result) => result.docId)).toContain("cells");
  });

  it("keeps knowledge bases apart, and honours the limit", async () => {
    const id = await biology();
    const other = kb();
    await put({ kbId: other, docId: "organelles", format: "text", content: "Mitochondria mitochondria mitochondria, the cell's mitochondria." });
    const ours = await store().search(id, "mitochondria", 10);
    expect(ours.map((result) => result.text)).toEqual([expect.stringMatching(/^Mitochondria turn sugar/)]);
    expect((await store().search(other, "mitochondria", 10)).map((result) => result.docId)).toEqual(["organelles"]);
    expect(await store().search(kb(), "mitochondria", 10)).toEqual([]);
    expect(await store().search(id, "cell", 1)).toHaveLength(1);
  });

  it("replacing a document replaces its passages; its creation time stays", async () => {
    const id = kb();
    await put({ kbId: id, docId: "doc", format: "markdown", content: ORGANELLES });
    const later = new Date(AT.getTime() + 60_000);
    expect(await store().putDocument({ kbId: id, docId: "doc", title: "Plants", format: "text", content: PHOTOSYNTHESIS, at: later })).toEqual({ created: false, chunks: 1 });
    expect(await store().search(id, "mitochondria nucleus", 10)).toEqual([]);
    expect(await store().search(id, "chloroplasts", 10)).toMatchObject([{ docId: "doc", chunkIndex: 0, title: "Plants" }]);
    expect(await store().getDocument(id, "doc")).toMatchObject({ title: "Plants", format: "text", chunks: 1, createdAt: AT, updatedAt: later });
  });

  it("racing replaces of one document leave one version's passages, never a mix", async () => {
    const id = kb();
    const version = (word: string, count: number) => Array.from({ length: count }, (_, i) => `Paragraph ${i} about ${word}.`).join("\n\n");
    const base = { kbId: id, docId: "doc", format: "text" } as const;
    // Versions far apart in size (about 10 passages against 1), so a mix would show in the counts.
    const big = version("zebras", 400);
    const small = version("giraffes", 3);
    await Promise.all([store().putDocument({ ...base, content: big }), store().putDocument({ ...base, content: small }), store().putDocument({ ...base, content: big })]);
    const stored = await store().getDocument(id, "doc");
    const zebras = await store().search(id, "zebras", 1_000);
    const giraffes = await store().search(id, "giraffes", 1_000);
    expect(stored?.content === big ? [zebras.length, giraffes.length] : [giraffes.length, zebras.length]).toEqual([stored?.chunks, 0]);
  });

  it("lists a knowledge base's documents by id without content, and deletes one with its passages", async () => {
    const id = await biology();
    const listed = await store().listDocuments(id, { limit: 2, offset: 1 });
    expect(listed.total).toBe(3);
    expect(listed.items).toEqual([
      { kbId: id, docId: "organelles", title: "Biology", format: "markdown", bytes: Buffer.byteLength(ORGANELLES), chunks: 2, createdAt: AT, updatedAt: AT },
      expect.objectContaining({ docId: "photosynthesis", title: null, format: "text", chunks: 1 }),
    ]);
    expect(await store().deleteDocument(id, "organelles")).toBe(true);
    expect(await store().deleteDocument(id, "organelles")).toBe(false);
    expect(await store().search(id, "mitochondria", 10)).toEqual([]);
    expect((await store().listDocuments(id, { limit: 10, offset: 0 })).total).toBe(2);
    expect(await store().listDocuments(kb(), { limit: 10, offset: 0 })).toEqual({ items: [], total: 0 });
  });

  it("refuses a document over the size or passage limits, writing nothing", async () => {
    const id = kb();
    await expectTooLarge(put({ kbId: id, docId: "big", format: "text", content: "word ".repeat(KNOWLEDGE_LIMITS.maxDocumentBytes / 5 + 1) }));
    const sections = Array.from({ length: KNOWLEDGE_LIMITS.maxChunks + 1 }, (_, i) => `## Part ${i}\n\nText ${i}.`).join("\n\n");
    await expectTooLarge(put({ kbId: id, docId: "many", format: "markdown", content: sections }));
    expect((await store().listDocuments(id, { limit: 10, offset: 0 })).total).toBe(0);
    // Right at the limits it fits.
    const fits = await put({ kbId: id, docId: "many", format: "markdown", content: sections.slice(0, sections.lastIndexOf("## Part")) });
    expect(fits).toEqual({ created: true, chunks: KNOWLEDGE_LIMITS.maxChunks });
  });
});
