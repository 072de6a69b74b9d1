import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { MonitorOptions } from "@colyseus/monitor";
import type { RequestHandler } from "express";
import { LISTED_METADATA } from "../rooms/room-options.js";

/**
 * The monitor's room list: the panel draws the columns `/monitor/api` names. Its default has no metadata at all;
 * ours shows each session's kind, lifecycle status and participant count (`SessionRoomMetadata`), and the process
 * that runs the room (several engines behind Redis share one list).
 */
export const MONITOR_COLUMNS: NonNullable<MonitorOptions["columns"]> = [
  "roomId",
  ...LISTED_METADATA.map((field) => ({ metadata: field })),
  "clients",
  "maxClients",
  "locked",
  "elapsedTime",
  "processId",
];

/**
 * The panel's page may load only what this engine serves. Emotion (MUI) injects `<style>` elements, hence inline
 * styles; the data grid probes `new Function` in a try/catch, so refusing eval is harmless.
 */
export const MONITOR_PANEL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** A `<link>` or `<script>` whose URL is absolute or protocol-relative, with what follows it up to the next tag. */
const EXTERNAL_TAG = /<(?:link|script)\b[^>]*\b(?:href|src)\s*=\s*["']?(?:[a-z][a-z0-9+.-]*:)?\/\/[^>]*>(?:\s*<\/script>)?\s*/gi;

/**
 * The panel's index.html without its network references. The one it has is the Material Icons stylesheet from Google
 * Fonts, which the panel never uses (its icons are inline SVG; its Roboto falls back to the system sans-serif), so it is
 * dropped rather than served locally.
 */
export function localPanelHtml(html: string): string {
  // A monitor release with another kind of external reference fails test/api/monitor.test.ts, not the engine's start.
  return html.replace(EXTERNAL_TAG, "");
}

function packagedPanelHtml(): string {
  const entry = createRequire(import.meta.url).resolve("@colyseus/monitor");
  return readFileSync(join(dirname(entry), "static", "index.html"), "utf8");
}

/**
 * Serves the panel's page (`<mount>/` and `<mount>/index.html`) in place of the monitor's own copy, with the CSP
 * above; every other path (its API, its bundles, the redirect from `<mount>` to `<mount>/`) goes on to the monitor.
 */
export function localMonitorPanel(): RequestHandler {
  const html = localPanelHtml(packagedPanelHtml());
  return (req, res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    // `<mount>` itself also arrives as path "/": the monitor redirects it to `<mount>/`.
    const root = req.path === "/" && (req.originalUrl.split("?", 1)[0] ?? "").endsWith("/");
    if (!root && req.path !== "/index.html") return next();
    res.setHeader("Content-Security-Policy", MONITOR_PANEL_CSP);
    res.setHeader("Cache-Control", "no-cache");
    res.type("html").send(html);
  };
}
