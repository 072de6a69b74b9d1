/**
 * Entry for the ecosystem's interactive load tool, @colyseus/loadtest (a terminal UI: run it in a TTY).
 * Our rooms are created over REST and joined by id with a token, so each simulated client gets its token from the
 * management API before `joinById`. Clients fill meeting sessions created here, 100 per session (`--room meeting`, set
 * by the npm script, only satisfies the tool's own check); `--roomId <session_id>` joins an existing session instead.
 *   ADMIN_API_KEY=... npm run loadtest:colyseus -- --endpoint ws://127.0.0.1:2567 --numClients 50
 */
import { parseArgs } from "node:util";
import { cli, type MainCallback, type Options } from "@colyseus/loadtest";
import { z } from "zod";
import { LoadClient } from "./load-client.js";

/** The meeting limit (max_participants ≤ 100): clients fill sessions of this size, in order. */
const CLIENTS_PER_SESSION = 100;
const DEFAULT_ENDPOINT = "ws://localhost:2567"; // the tool's own default

const createdSession = z.object({ session_id: z.string().min(1) });
const issuedToken = z.object({ token: z.string().min(1) });

/** Checked before the tool takes over the terminal, so the message stays readable. */
function preflight(): { adminKey: string; base: string } {
  const adminKey = process.env.ADMIN_API_KEY;
  if (!adminKey) fail("ADMIN_API_KEY is not set: the management API needs it to create sessions and issue tokens.");
  const { values } = parseArgs({ options: { endpoint: { type: "string" } }, strict: false, allowPositionals: true });
  const endpoint = typeof values.endpoint === "string" ? values.endpoint : DEFAULT_ENDPOINT;
  return { adminKey, base: httpBase(endpoint) };
}

/** ws(s)://host:port → http(s)://host:port; refuses non-local hosts (this tool creates sessions and load). */
function httpBase(endpoint: string): string {
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (!url || !["ws:", "wss:", "http:", "https:"].includes(url.protocol)) fail(`Not a ws:// endpoint: ${endpoint}`);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
    fail(`Refusing ${endpoint}: this load test only runs against a local engine (127.0.0.1 or localhost).`);
  }
  return `${url.protocol === "wss:" || url.protocol === "https:" ? "https:" : "http:"}//${url.host}`;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function post<T>(url: string, adminKey: string, body: object, schema: z.ZodType<T>): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return schema.parse(await response.json());
}

function createMain(adminKey: string, base: string): MainCallback {
  // One creation per group of clients, shared by the clients of that group (the tool runs clients one at a time).
  const sessions = new Map<number, Promise<string>>();
  const sessionFor = (options: Options): Promise<string> => {
    if (options.roomId) return Promise.resolve(options.roomId);
    const group = Math.floor(options.clientId / CLIENTS_PER_SESSION);
    let session = sessions.get(group);
    if (!session) {
      const body = { kind: "meeting", title: `loadtest ${group}`, max_participants: CLIENTS_PER_SESSION };
      session = post(`${base}/api/v1/sessions`, adminKey, body, createdSession).then(
        (created) => created.session_id,
      );
      sessions.set(group, session);
      session.catch(() => sessions.delete(group)); // a failed creation (e.g. 503 max_sessions) is retried by the next client
    }
    return session;
  };

  return async (options) => {
    const sessionId = await sessionFor(options);
    const participantId = `load-${process.pid}-${options.clientId}`;
    const { token } = await post(
      `${base}/api/v1/sessions/${encodeURIComponent(sessionId)}/tokens`,
      adminKey,
      { participant_id: participantId, role: "participant", name: `Load ${options.clientId}` },
      issuedToken,
    );

    // LoadClient: `session.joined` arrives before `joinById` resolves; handlers added after it would make the SDK warn.
    const client = new LoadClient(options.endpoint);
    client.auth.token = token;
    // Signal, text, session.joined: expected, and not worth a line per client (LoadClient swallows them).
    client.handlers.transcript = (message) => console.log(participantId, "transcript", message);
    client.handlers.error = (message) => console.warn(participantId, "error", message);
    client.handlers["session.ended"] = (message) => console.info(participantId, "session.ended", message);
    await client.joinById(sessionId); // the tool wraps Client.prototype.joinById (LoadClient inherits it) to count the connection
  };
}

const { adminKey, base } = preflight();
cli(createMain(adminKey, base));
