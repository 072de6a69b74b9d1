import type { Application } from "express";

/** One route the app answers: its method and its path in OpenAPI's form (`/sessions/{id}`). */
export interface RouteEntry {
  method: string;
  path: string;
}

/** What an Express 5 router's layer holds (router 2.x): its mount path(s), and a route or a nested router. */
interface Layer {
  rawPath?: string | readonly string[] | RegExp;
  route?: { path: string | readonly string[]; methods: Record<string, boolean> };
  handle: { stack?: readonly Layer[] };
}

/** Express' `:name` parameters as OpenAPI's `{name}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

function pathsOf(raw: string | readonly string[] | RegExp | undefined): string[] {
  if (raw === undefined || raw instanceof RegExp) return [""];
  return (typeof raw === "string" ? [raw] : [...raw]).map((p) => (p === "/" ? "" : p));
}

/**
 * Every route the app's router (and the routers mounted in it) answers, walked from Express' own route table, so a
 * route added anywhere is found whether or not its author documented it. Apps mounted inside (the Colyseus monitor)
 * are opaque to Express and not listed: they document themselves.
 */
export function routeTable(app: Application): RouteEntry[] {
  const routes: RouteEntry[] = [];
  const walk = (stack: readonly Layer[], prefixes: readonly string[]) => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        const methods = Object.keys(layer.route.methods).filter((m) => layer.route?.methods[m] === true && m !== "_all");
        for (const prefix of prefixes) {
          for (const path of pathsOf(layer.route.path)) {
            for (const method of methods) routes.push({ method, path: openApiPath(`${prefix}${path}`) || "/" });
          }
        }
      } else if (layer.handle.stack !== undefined) {
        const mounts = pathsOf(layer.rawPath);
        walk(layer.handle.stack, prefixes.flatMap((prefix) => mounts.map((mount) => `${prefix}${mount}`)));
      }
    }
  };
  walk((app as unknown as { router: { stack: readonly Layer[] } }).router.stack, [""]);
  return routes;
}
