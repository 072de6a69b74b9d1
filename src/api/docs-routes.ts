import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import express, { Router } from "express";

/** Swagger UI's files (`swagger-ui-dist`, Apache-2.0), served from node_modules: no CDN, works offline. */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** Points the bundled UI at this engine's document (the package's own initializer loads the Petstore example). */
const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
  });
};
`;

/** `/openapi.json` and Swagger UI over it at `/docs/` (open: the document holds no secret). */
export function docsRoutes(document: Record<string, unknown>): Router {
  const router = Router();
  const page = readFileSync(join(SWAGGER_UI_DIR, "index.html"), "utf8").replace("<title>Swagger UI</title>", "<title>Session engine API</title>");
  router.get("/openapi.json", (_req, res) => {
    res.json(document);
  });
  // One route, `/docs` and `/docs/`; the page's relative asset links need the trailing slash.
  router.get("/docs", (req, res) => {
    if (req.originalUrl.split("?")[0]?.endsWith("/") === true) res.type("html").send(page);
    else res.redirect(301, "/docs/");
  });
  // Files of the UI, not routes of the API: the initializer first, then the package's own files.
  router.use("/docs/swagger-initializer.js", (_req, res) => {
    res.type("application/javascript").send(INITIALIZER);
  });
  router.use("/docs", express.static(SWAGGER_UI_DIR, { index: false, fallthrough: true, maxAge: "1h" }));
  return router;
}
