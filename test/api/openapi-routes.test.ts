import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../support/engine.js";

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.close();
});

/** `/docs/` and `/docs` are one route (Express matches both). */
const normalize = (path: string) => (path.length > 1 ? path.replace(/\/+$/, "") : path);

describe("the OpenAPI document", () => {
  it("lists every route Express answers, with its method", async () => {
    const doc = await t.api("GET", "/openapi.json", undefined, null);
    expect(doc.status).toBe(200);
    const paths = (doc.body as { paths: Record<string, Record<string, unknown>> }).paths;
    const documented = new Set(Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${normalize(path)}`)));
    const routes = t.engine.routes().map((r) => `${r.method.toUpperCase()} ${normalize(r.path)}`);
    // The walk itself finds routes of every router (a walk that found none would pass vacuously).
    expect(routes).toEqual(expect.arrayContaining(["POST /api/v1/sessions", "GET /api/v1/sessions/{id}/transcript", "POST /api/v1/transcribe", "GET /health"]));
    expect(routes.filter((route) => !documented.has(route))).toEqual([]);
  });

  it("gives every operation a summary, a group and its body limit, and every JSON body a schema", async () => {
    const doc = await t.api("GET", "/openapi.json", undefined, null);
    type Operation = { summary?: string; tags?: string[]; responses: Record<string, unknown>; requestBody?: { content: Record<string, { schema?: unknown }> } };
    const body = doc.body as { tags: { name: string }[]; paths: Record<string, Record<string, Operation>> };
    const tags = body.tags.map((tag) => tag.name);
    for (const [path, methods] of Object.entries(body.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        expect(operation.summary, `${method} ${path}`).toEqual(expect.any(String));
        expect(tags, `${method} ${path}`).toEqual(expect.arrayContaining(operation.tags ?? ["(none)"]));
        if (operation.requestBody !== undefined) expect(operation.responses["413"], `${method} ${path}`).toBeDefined();
        for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) expect(media.schema, `${method} ${path} ${type}`).toBeDefined();
      }
    }
  });
});

describe("/docs", () => {
  it("serves Swagger UI from the engine itself, pointed at /openapi.json", async () => {
    const redirect = await fetch(`${t.engine.httpUrl}/docs`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/docs/");
    const page = await fetch(`${t.engine.httpUrl}/docs/`);
    expect(page.headers.get("content-type")).toMatch(/html/);
    const html = await page.text();
    // Every asset is relative: nothing is fetched from a CDN.
    expect(html).toContain("./swagger-ui-bundle.js");
    expect(html).not.toMatch(/https?:\/\//);
    const bundle = await fetch(`${t.engine.httpUrl}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    await bundle.arrayBuffer();
    const initializer = await (await fetch(`${t.engine.httpUrl}/docs/swagger-initializer.js`)).text();
    expect(initializer).toContain('url: "/openapi.json"');
    const missing = await fetch(`${t.engine.httpUrl}/docs/no-such-file.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
