import { Agent, request } from "node:http";
import { z } from "zod";
import type { Seat } from "./memory-protocol.js";

/**
 * The engine's management API as the memory bench drives it: sessions created and tokens issued one REST call each,
 * as a real deployment does. The API allows 50 requests/s per address (burst 100); 1,000 sessions and 10,000 tokens
 * from one address would take almost four minutes, so calls are spread over loopback source addresses
 * (127.0.0.2…, all routed to `lo` on Linux), each with its own budget. A 429 or retryable 503 is retried with backoff.
 */

const created = z.object({ session_id: z.string() });
const issued = z.object({ token: z.string() });
const listed = z.object({ total: z.number() });
const errorBody = z.object({ error: z.object({ code: z.string(), retryable: z.boolean().optional() }) });

const MAX_ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 100;
const REQUEST_TIMEOUT_MS = 30_000;

export interface SessionSpec {
  participants: number;
  /** Far past the run: an idle session (nobody connected) would otherwise drain after IDLE_TIMEOUT_MS. */
  idleTimeoutMs: number;
  maxDurationMs: number;
}

export class ManagementApi {
  readonly #base: URL;
  readonly #adminKey: string;
  readonly #agents: Agent[];
  #nextAgent = 0;

  constructor(httpUrl: string, adminKey: string, sourceAddresses: number) {
    this.#base = new URL(httpUrl);
    this.#adminKey = adminKey;
    this.#agents = Array.from(
      { length: Math.max(1, sourceAddresses) },
      (_, i) => new Agent({ keepAlive: true, maxSockets: 4, localAddress: `127.0.0.${2 + (i % 250)}` }),
    );
  }

  async createSession(spec: SessionSpec): Promise<string> {
    const body = {
      kind: "meeting",
      title: "memory bench",
      max_participants: Math.min(100, Math.max(1, spec.participants)),
      idle_timeout_ms: spec.idleTimeoutMs,
      max_duration_ms: spec.maxDurationMs,
    };
    return created.parse(await this.#call("POST", "/api/v1/sessions", body)).session_id;
  }

  async issueToken(sessionId: string, participantId: string, ttlMs: number): Promise<string> {
    const body = { participant_id: participantId, name: `Bench ${participantId}`, role: "participant", ttl_ms: ttlMs };
    return issued.parse(await this.#call("POST", `/api/v1/sessions/${sessionId}/tokens`, body)).token;
  }

  async endSession(sessionId: string): Promise<void> {
    await this.#call("DELETE", `/api/v1/sessions/${sessionId}`);
  }

  /** Sessions in `status` (e.g. "live"): every session of the run is live once its first participant joined. */
  async countSessions(status: string): Promise<number> {
    return listed.parse(await this.#call("GET", `/api/v1/sessions?status=${status}&limit=1`)).total;
  }

  /** One seat per participant of each session, tokens issued `concurrency` calls at a time. */
  async seats(sessionIds: readonly string[], participants: number, ttlMs: number, concurrency: number): Promise<Seat[]> {
    const jobs = sessionIds.flatMap((roomId) => Array.from({ length: participants }, (_, i) => ({ roomId, participantId: `p${i}` })));
    const seats: Seat[] = new Array<Seat>(jobs.length);
    await inParallel(jobs.length, concurrency, async (i) => {
      const job = jobs[i];
      if (job === undefined) return;
      seats[i] = { roomId: job.roomId, token: await this.issueToken(job.roomId, job.participantId, ttlMs) };
    });
    return seats;
  }

  close(): void {
    for (const agent of this.#agents) agent.destroy();
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const sent = await this.#send(method, path, body);
      // A kept-alive socket the server closed as the request went out (its keep-alive timer fires late after the
      // engine was busy, e.g. with a heap snapshot): the request never reached it, so it is sent again.
      if (sent === "stale_socket" && attempt < MAX_ATTEMPTS) continue;
      if (sent === "stale_socket") throw new Error(`${method} ${path}: connection reset ${attempt} times`);
      const { status, text } = sent;
      const json: unknown = text === "" ? null : JSON.parse(text);
      if (status >= 200 && status < 300) return json;
      const failure = errorBody.safeParse(json);
      const code = failure.success ? failure.data.error.code : `http_${status}`;
      const retryable = status === 429 || (failure.success && failure.data.error.retryable === true);
      if (!retryable || attempt >= MAX_ATTEMPTS) throw new Error(`${method} ${path} → ${status} ${code}`);
      await new Promise((resolve) => setTimeout(resolve, FIRST_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }

  #send(method: string, path: string, body?: unknown): Promise<{ status: number; text: string } | "stale_socket"> {
    const agent = this.#agents[this.#nextAgent++ % this.#agents.length];
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { authorization: `Bearer ${this.#adminKey}` };
    if (payload !== undefined) headers["content-type"] = "application/json";
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.#base), { method, headers, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (part: Buffer) => parts.push(part));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (req.reusedSocket && error.code === "ECONNRESET") resolve("stale_socket");
        else reject(error);
      });
      req.end(payload);
    });
  }
}

/** Runs `work(0…count-1)` with at most `concurrency` in flight; the first failure rejects (the rest still finish). */
export async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
}
