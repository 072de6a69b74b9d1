/** `/api/v1/tutors…` and `/api/v1/knowledge-bases…` on a real engine: every route, and each bad input. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TUTOR_PROFILE } from "../../src/tutor/tutor-profile.js";
import { ADMIN_KEY, startTestEngine, type TestEngine } from "../support/engine.js";

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.close();
});

const unique = (prefix: string) => `${prefix}-${randomUUID()}`;

/** A request with any body and content type (the `api` helper sends JSON only). */
async function send(method: string, path: string, body: string | undefined, contentType: string | null, key: string | null = ADMIN_KEY) {
  const headers: Record<string, string> = {};
  if (key !== null) headers["authorization"] = `Bearer ${key}`;
  if (contentType !== null) headers["content-type"] = contentType;
  const response = await fetch(`${t.engine.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : (JSON.parse(text) as unknown) };
}

const failure = (code: string, details?: unknown[]) => ({ error: { code, ...(details === undefined ? {} : { details }) } });

describe("tutor profiles", () => {
  it("creates with defaults, reads, replaces (created_at kept) and deletes", async () => {
    const id = unique("tutor");
    const created = await t.api("PUT", `/api/v1/tutors/${id}`, { name: "Ada", llm: { temperature: 0.2 } });
    expect(created.status).toBe(201);
    const first = created.body as Record<string, unknown>;
    expect(first).toEqual({
      ...DEFAULT_TUTOR_PROFILE,
      tutor_id: id,
      name: "Ada",
      llm: { model: null, temperature: 0.2, max_tokens: 300 },
      created_at: expect.any(String),
      updated_at: first["created_at"],
    });
    expect(await t.api("GET", `/api/v1/tutors/${id}`)).toEqual({ status: 200, body: first });

    // A PUT replaces the whole profile: what it leaves out is back to its default.
    const replaced = await t.api("PUT", `/api/v1/tutors/${id}`, { voice: { name: "en-gb", rate_wpm: 150 }, greeting: "" });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: "Tutor", llm: { temperature: 0.7 }, voice: { name: "en-gb", rate_wpm: 150 }, greeting: "", created_at: first["created_at"] });
    const updatedAt = (replaced.body as { updated_at: string }).updated_at;
    expect(Date.parse(updatedAt)).toBeGreaterThanOrEqual(Date.parse(String(first["created_at"])));

    expect((await t.api("DELETE", `/api/v1/tutors/${id}`)).status).toBe(204);
    expect(await t.api("DELETE", `/api/v1/tutors/${id}`)).toMatchObject({ status: 404, body: failure("tutor_not_found") });
    expect(await t.api("GET", `/api/v1/tutors/${id}`)).toMatchObject({ status: 404, body: failure("tutor_not_found") });
  });

  it("lists by id, in pages", async () => {
    const prefix = unique("list");
    for (const suffix of ["b", "a", "c"]) await t.api("PUT", `/api/v1/tutors/${prefix}-${suffix}`, {});
    const all = await t.api("GET", "/api/v1/tutors?limit=100");
    expect(all.status).toBe(200);
    const body = all.body as { items: { tutor_id: string }[]; total: number; limit: number; offset: number };
    expect(body).toMatchObject({ limit: 100, offset: 0 });
    expect(body.items.map((item) => item.tutor_id).filter((id) => id.startsWith(prefix))).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    const page = await t.api("GET", "/api/v1/tutors?limit=1&offset=1");
    expect((page.body as { items: unknown[]; total: number }).items).toHaveLength(1);
    expect((page.body as { total: number }).total).toBe(body.total);
    expect(await t.api("GET", "/api/v1/tutors?limit=0")).toMatchObject({ status: 400, body: failure("invalid_request") });
  });

  it("refuses unknown fields, other languages, values out of range and bad ids, saving nothing", async () => {
    const id = unique("bad");
    const put = (body: unknown) => t.api("PUT", `/api/v1/tutors/${id}`, body);
    expect(await put({ name: "Ada", colour: "blue" })).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "body" }]) });
    expect(await put({ llm: { top_p: 0.9 } })).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "body.llm" }]) });
    const french = await put({ language: "fr" });
    expect(french).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "body.language" }]) });
    expect(JSON.stringify(french.body)).toMatch(/only English.*Whisper tiny\.en/);
    expect(await put({ llm: { temperature: 3 } })).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "body.llm.temperature" }]) });
    const many = await put({ llm: { max_tokens: 0 }, voice: { name: "en us", rate_wpm: 500 }, turn: { vad_threshold: 1 }, system_prompt: "x".repeat(8_001) });
    expect((many.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path).sort()).toEqual(
      ["body.llm.max_tokens", "body.system_prompt", "body.turn.vad_threshold", "body.voice.name", "body.voice.rate_wpm"],
    );
    expect(await put("{name:")).toMatchObject({ status: 400, body: failure("invalid_request") });
    expect(await put([1])).toMatchObject({ status: 400 });
    expect(await t.api("GET", `/api/v1/tutors/${id}`)).toMatchObject({ status: 404 });
    expect(await t.api("PUT", "/api/v1/tutors/a%20b", {})).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "path" }]) });
    expect(await t.api("PUT", `/api/v1/tutors/${"x".repeat(129)}`, {})).toMatchObject({ status: 400 });
  });
});

const ORGANELLES = "# Organelles\n\n## Mitochondria\n\nMitochondria turn sugar and oxygen into ATP, the energy a cell runs on.\n\n## Nucleus\n\nThe nucleus holds the DNA of the cell.";
const CELLS = "A cell is the smallest unit of life. Every cell has a cell membrane, and a cell divides to make new cells.";

describe("knowledge bases", () => {
  it("takes Markdown, plain text and JSON documents; reads, lists, replaces and deletes them", async () => {
    const kb = unique("kb");
    const markdown = await send("PUT", `/api/v1/knowledge-bases/${kb}/documents/organelles?title=Biology`, ORGANELLES, "text/markdown; charset=utf-8");
    expect(markdown).toEqual({ status: 201, body: { kb_id: kb, doc_id: "organelles", chunks: 2 } });
    const text = await send("PUT", `/api/v1/knowledge-bases/${kb}/documents/cells`, CELLS, "text/plain");
    expect(text).toEqual({ status: 201, body: { kb_id: kb, doc_id: "cells", chunks: 1 } });

    const got = await t.api("GET", `/api/v1/knowledge-bases/${kb}/documents/organelles`);
    expect(got).toMatchObject({ status: 200, body: { kb_id: kb, doc_id: "organelles", title: "Biology", format: "markdown", content: ORGANELLES, chunks: 2, bytes: ORGANELLES.length } });

    const listed = await t.api("GET", `/api/v1/knowledge-bases/${kb}/documents?limit=1&offset=1`);
    expect(listed).toMatchObject({ status: 200, body: { kb_id: kb, total: 2, limit: 1, offset: 1, items: [{ doc_id: "organelles", title: "Biology", chunks: 2 }] } });
    expect(JSON.stringify(listed.body)).not.toContain("Mitochondria turn");

    const replaced = await t.api("PUT", `/api/v1/knowledge-bases/${kb}/documents/cells`, { title: "Cells", format: "markdown", content: "# Walls\n\nPlant cells have walls." });
    expect(replaced).toEqual({ status: 200, body: { kb_id: kb, doc_id: "cells", chunks: 1 } });
    expect(await t.api("GET", `/api/v1/knowledge-bases/${kb}/documents/cells`)).toMatchObject({ body: { title: "Cells", format: "markdown" } });

    expect((await t.api("DELETE", `/api/v1/knowledge-bases/${kb}/documents/cells`)).status).toBe(204);
    expect(await t.api("DELETE", `/api/v1/knowledge-bases/${kb}/documents/cells`)).toMatchObject({ status: 404, body: failure("document_not_found") });
    expect(await t.api("GET", `/api/v1/knowledge-bases/${kb}/documents/cells`)).toMatchObject({ status: 404, body: failure("document_not_found") });
    expect(await t.api("GET", `/api/v1/knowledge-bases/${unique("empty")}/documents`)).toMatchObject({ status: 200, body: { items: [], total: 0 } });
  });

  it("searches: the passage a question is about first, none for stop words, never another knowledge base's", async () => {
    const kb = unique("kb");
    await send("PUT", `/api/v1/knowledge-bases/${kb}/documents/organelles?title=Biology`, ORGANELLES, "text/markdown");
    await send("PUT", `/api/v1/knowledge-bases/${kb}/documents/cells`, CELLS, "text/plain");
    await send("PUT", `/api/v1/knowledge-bases/${unique("other")}/documents/organelles`, "Mitochondria mitochondria mitochondria.", "text/plain");
    const question = encodeURIComponent("What do the mitochondria do for a cell?");
    const found = await t.api("GET", `/api/v1/knowledge-bases/${kb}/search?q=${question}&limit=3`);
    expect(found.status).toBe(200);
    const body = found.body as { kb_id: string; query: string; results: { doc_id: string; chunk_index: number; title: string | null; text: string; score: number }[] };
    expect(body).toMatchObject({ kb_id: kb, query: "What do the mitochondria do for a cell?" });
    expect(body.results[0]).toMatchObject({ doc_id: "organelles", chunk_index: 0, title: "Biology › Organelles › Mitochondria", score: expect.any(Number) });
    expect(body.results.map((r) => r.doc_id)).toEqual(["organelles", "cells", "organelles"]);
    expect(body.results.every((r) => !r.text.startsWith("Mitochondria mitochondria"))).toBe(true);

    expect(await t.api("GET", `/api/v1/knowledge-bases/${kb}/search?q=what%20is%20it`)).toMatchObject({ status: 200, body: { results: [] } });
    expect(await t.api("GET", `/api/v1/knowledge-bases/${kb}/search`)).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "query.q" }]) });
    expect(await t.api("GET", `/api/v1/knowledge-bases/${kb}/search?q=cell&limit=51`)).toMatchObject({ status: 400 });
  });

  it("413 for a document over 512 KB, raw or in JSON, and for one over 2,000 passages", async () => {
    const kb = unique("kb");
    const big = "word ".repeat(110_000);
    expect(await send("PUT", `/api/v1/knowledge-bases/${kb}/documents/big`, big, "text/plain")).toMatchObject({ status: 413, body: failure("payload_too_large") });
    expect(await t.api("PUT", `/api/v1/knowledge-bases/${kb}/documents/big`, { format: "text", content: big })).toMatchObject({ status: 413, body: failure("payload_too_large") });
    const sections = Array.from({ length: 2_001 }, (_, i) => `# ${i}\n\nx`).join("\n\n");
    expect(await send("PUT", `/api/v1/knowledge-bases/${kb}/documents/many`, sections, "text/markdown")).toMatchObject({ status: 413, body: failure("payload_too_large") });
    expect(await t.api("GET", `/api/v1/knowledge-bases/${kb}/documents`)).toMatchObject({ body: { total: 0 } });
  });

  it("400 for other content types, unknown or missing JSON fields, empty or unstorable text, bad ids", async () => {
    const path = `/api/v1/knowledge-bases/${unique("kb")}/documents/doc`;
    expect(await send("PUT", path, "bytes", "application/octet-stream")).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "header.content-type" }]) });
    expect(await send("PUT", path, undefined, null)).toMatchObject({ status: 400, body: failure("invalid_request") });
    expect(await t.api("PUT", path, { format: "text", content: "x", author: "me" })).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "body" }]) });
    expect(await t.api("PUT", path, { content: "x" })).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "body.format" }]) });
    expect(await t.api("PUT", `${path}?title=T`, { format: "text", content: "x" })).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "query.title" }]) });
    expect(await send("PUT", path, " \n\n ", "text/plain")).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "body.content" }]) });
    expect(await send("PUT", path, "nul \u0000 here", "text/plain")).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "body.content" }]) });
    expect(await send("PUT", "/api/v1/knowledge-bases/a%20b/documents/doc", "text", "text/plain")).toMatchObject({ status: 400, body: failure("invalid_request", [{ path: "path" }]) });
  });
});

describe("access and documentation", () => {
  it("401 without or with a wrong admin key on every route", async () => {
    const routes: [string, string][] = [
      ["GET", "/api/v1/tutors"],
      ["PUT", "/api/v1/tutors/x"],
      ["GET", "/api/v1/tutors/x"],
      ["DELETE", "/api/v1/tutors/x"],
      ["PUT", "/api/v1/knowledge-bases/kb/documents/d"],
      ["GET", "/api/v1/knowledge-bases/kb/documents/d"],
      ["DELETE", "/api/v1/knowledge-bases/kb/documents/d"],
      ["GET", "/api/v1/knowledge-bases/kb/documents"],
      ["GET", "/api/v1/knowledge-bases/kb/search?q=cell"],
    ];
    for (const [method, path] of routes) {
      const body = method === "PUT" ? "{}" : undefined;
      expect(await send(method, path, body, "application/json", null), `${method} ${path}`).toMatchObject({ status: 401, body: failure("unauthorized") });
      expect((await send(method, path, body, "application/json", "wrong-key")).status).toBe(401);
    }
  });

  it("every route is in /openapi.json, the profile body from its zod schema", async () => {
    const doc = await t.api("GET", "/openapi.json", undefined, null);
    const paths = (doc.body as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> }).paths;
    expect(Object.keys(paths["/api/v1/tutors/{tutor_id}"] ?? {}).sort()).toEqual(["delete", "get", "put"]);
    expect(Object.keys(paths["/api/v1/tutors"] ?? {})).toEqual(["get"]);
    expect(Object.keys(paths["/api/v1/knowledge-bases/{kb_id}/documents/{doc_id}"] ?? {}).sort()).toEqual(["delete", "get", "put"]);
    expect(Object.keys(paths["/api/v1/knowledge-bases/{kb_id}/documents"] ?? {})).toEqual(["get"]);
    expect(Object.keys(paths["/api/v1/knowledge-bases/{kb_id}/search"] ?? {})).toEqual(["get"]);
    const profile = paths["/api/v1/tutors/{tutor_id}"]?.["put"]?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(profile?.properties ?? {}).sort()).toEqual(["greeting", "language", "llm", "name", "system_prompt", "turn", "voice"]);
    const document = paths["/api/v1/knowledge-bases/{kb_id}/documents/{doc_id}"]?.["put"]?.requestBody?.content;
    expect(Object.keys(document ?? {}).sort()).toEqual(["application/json", "text/markdown", "text/plain"]);
  });
});
