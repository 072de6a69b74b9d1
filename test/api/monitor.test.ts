import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ADMIN_KEY, eventually, startTestEngine, type TestEngine } from "../support/engine.js";
import { metricValue, parsePrometheus } from "../support/prometheus.js";

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.close();
});

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

/** What the monitor panel polls: the columns it draws, and every room with its listing. */
const roomsListing = z.object({
  columns: z.array(z.union([z.string(), z.object({ metadata: z.string() })])),
  rooms: z.array(z.object({ roomId: z.string(), name: z.string(), clients: z.number(), metadata: z.unknown() })),
});

/** Any absolute or protocol-relative URL (`https://host`, `//host`): the panel must load nothing from another host. */
const EXTERNAL_URL = /(?:[a-z][a-z0-9+.-]*:)?\/\/[a-z0-9]/i;

describe("the Colyseus monitor at /monitor", () => {
  it("answers 401 with a basic challenge without credentials, and with a wrong password", async () => {
    for (const path of ["/monitor/", "/monitor/api"]) {
      const bare = await fetch(`${t.engine.httpUrl}${path}`, { redirect: "manual" });
      expect(bare.status).toBe(401);
      expect(bare.headers.get("www-authenticate")).toBe('Basic realm="session-engine monitor"');
      expect(await bare.json()).toMatchObject({ error: { code: "unauthorized" } });

      const wrong = await fetch(`${t.engine.httpUrl}${path}`, { headers: basic("admin", "not-the-admin-key-at-all") });
      expect(wrong.status).toBe(401);
      // The bearer scheme of the management API does not open the monitor either.
      const bearer = await fetch(`${t.engine.httpUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(bearer.status).toBe(401);
    }
  });

  it("serves the panel and lists the session's room with its kind, status and participants (any user name)", async () => {
    const page = await fetch(`${t.engine.httpUrl}/monitor/`, { headers: basic("operator", ADMIN_KEY) });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<html/i);

    const { id, token } = await t.createSession({ kind: "meeting" });
    const room = await t.join(id, token);
    const listed = await eventually(async () => {
      const res = await fetch(`${t.engine.httpUrl}/monitor/api`, { headers: basic("", ADMIN_KEY) });
      expect(res.status).toBe(200);
      const body = roomsListing.parse(await res.json());
      const mine = body.rooms.find((r) => r.roomId === id);
      return mine !== undefined && z.object({ status: z.literal("live") }).safeParse(mine.metadata).success ? mine : undefined;
    });
    expect(listed).toMatchObject({ name: "meeting", clients: 1, metadata: { kind: "meeting", status: "live", participants: 1 } });
    // The panel draws exactly the columns the API names: the session's listing is among them.
    const { columns } = roomsListing.parse(await (await fetch(`${t.engine.httpUrl}/monitor/api`, { headers: basic("", ADMIN_KEY) })).json());
    expect(columns).toEqual(expect.arrayContaining(["roomId", { metadata: "kind" }, { metadata: "status" }, { metadata: "participants" }, "clients"]));

    const inspect = await fetch(`${t.engine.httpUrl}/monitor/api/room?roomId=${id}`, { headers: basic("operator", ADMIN_KEY) });
    expect(inspect.status).toBe(200);
    expect(await inspect.json()).toMatchObject({ roomId: id, metadata: { kind: "meeting", status: "live" } });
    await room.leave(true);
  });

  it("serves a panel that loads nothing from another host, under a same-origin CSP", async () => {
    for (const path of ["/monitor/", "/monitor/index.html"]) {
      const page = await fetch(`${t.engine.httpUrl}${path}`, { headers: basic("operator", ADMIN_KEY) });
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
      const html = await page.text();
      expect(html).toMatch(/<div id="app">/);
      expect(html).not.toMatch(EXTERNAL_URL);
      // Its bundles are the monitor's own, served under the mount, and name no other host either (the CSS has no
      // @import or url() of another host; the JS is checked for stylesheet or font loads).
      const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]);
      expect(assets.some((a) => a?.endsWith(".js"))).toBe(true);
      expect(assets.some((a) => a?.endsWith(".css"))).toBe(true);
      for (const asset of assets) {
        const res = await fetch(`${t.engine.httpUrl}/monitor/${asset}`, { headers: basic("operator", ADMIN_KEY) });
        expect(res.status).toBe(200);
        const text = await res.text();
        if (asset?.endsWith(".css")) expect(text).not.toMatch(EXTERNAL_URL);
        else expect(text).not.toMatch(/fonts\.(?:googleapis|gstatic)\.com|@import\s+url\(/);
      }
    }
    // Without the trailing slash the monitor still redirects to the panel, and HEAD answers like GET.
    const bare = await fetch(`${t.engine.httpUrl}/monitor`, { headers: basic("operator", ADMIN_KEY), redirect: "manual" });
    expect(bare.status).toBe(302);
    expect(bare.headers.get("location")).toBe("/monitor/");
    const head = await fetch(`${t.engine.httpUrl}/monitor/`, { method: "HEAD", headers: basic("operator", ADMIN_KEY) });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("leaves /metrics open when no METRICS_TOKEN is configured; the monitor's 401s are counted there", async () => {
    const scrape = async () => {
      const res = await fetch(`${t.engine.httpUrl}/metrics`);
      expect(res.status).toBe(200);
      return parsePrometheus(await res.text());
    };
    const unauthorized = (samples: ReturnType<typeof parsePrometheus>) =>
      metricValue(samples, "engine_errors_total", { source: "api", code: "unauthorized" }) ?? 0;
    const before = await scrape();
    expect(metricValue(before, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect((await fetch(`${t.engine.httpUrl}/monitor/api`)).status).toBe(401);
    expect((await fetch(`${t.engine.httpUrl}/monitor/`, { headers: basic("admin", "not-the-admin-key-at-all") })).status).toBe(401);
    expect(unauthorized(await scrape())).toBe(unauthorized(before) + 2);
  });
});
