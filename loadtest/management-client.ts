import { z } from "zod";

/** The management REST calls a load run makes, with the admin key; 429 and retryable 503s are retried with backoff. */
export interface SessionTicket {
  sessionId: string;
  createdAtMs: number;
  participants: { participantId: string; token: string }[];
}

export class ManagementError extends Error {
  override readonly name = "ManagementError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const created = z.object({ session_id: z.string(), created_at: z.string() });
const issued = z.object({ token: z.string() });
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean().optional() }) });

const MAX_ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 100;

export class ManagementClient {
  constructor(
    private readonly httpUrl: string,
    private readonly adminKey: string,
  ) {}

  /**
   * A meeting with `participants` tokens (ids p0…); sized and timed so the room outlives the run. `videoFps` is sent
   * as the session's `video_fps` only when given: an engine whose API lacks the option then still takes the session
   * (at the room's default rate).
   */
  async createSession(participants: number, maxDurationMs: number, options: { videoFps?: number } = {}): Promise<SessionTicket> {
    const session = created.parse(
      await this.call("POST", "/api/v1/sessions", {
        kind: "meeting",
        title: "load test",
        max_participants: Math.max(participants, 1),
        max_duration_ms: maxDurationMs,
        ...(options.videoFps === undefined ? {} : { video_fps: options.videoFps }),
      }),
    );
    const tickets: SessionTicket["participants"] = [];
    for (let i = 0; i < participants; i++) {
      const participantId = `p${i}`;
      const body = { participant_id: participantId, name: `Load ${i}`, role: "participant", ttl_ms: maxDurationMs };
      const { token } = issued.parse(await this.call("POST", `/api/v1/sessions/${session.session_id}/tokens`, body));
      tickets.push({ participantId, token });
    }
    return { sessionId: session.session_id, createdAtMs: Date.parse(session.created_at), participants: tickets };
  }

  async endSession(sessionId: string): Promise<void> {
    await this.call("DELETE", `/api/v1/sessions/${sessionId}`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${this.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.adminKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      const json: unknown = text === "" ? null : JSON.parse(text);
      if (response.ok) return json;
      const failure = errorBody.safeParse(json);
      const code = failure.success ? failure.data.error.code : `http_${response.status}`;
      const retryable = response.status === 429 || (failure.success && failure.data.error.retryable === true);
      if (!retryable || attempt >= MAX_ATTEMPTS) {
        throw new ManagementError(response.status, code, `${method} ${path} → ${response.status} ${code}`);
      }
      await new Promise((resolve) => setTimeout(resolve, FIRST_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}
