import type { RunningEngine } from "./engine.js";

/** The demo stays open this long without anyone in it (the default idle timeout is minutes), as long as its link. */
const DEMO_IDLE_TIMEOUT_MS = 60 * 60_000;

/**
 * A meeting to open right away after `npm start` on embedded defaults: its browser join link (as the host). Not made
 * in production or against real services, where sessions come only from the management API.
 */
export async function createDemoMeeting(engine: RunningEngine): Promise<{ link: string; expiresAt: Date }> {
  const demo = await engine.service.create({ kind: "meeting", title: "Demo meeting", idleTimeoutMs: DEMO_IDLE_TIMEOUT_MS });
  const query = new URLSearchParams({ session: demo.session.id, token: demo.engineToken });
  return { link: `${engine.httpUrl}/?${query.toString()}`, expiresAt: demo.tokenExpiresAt };
}
