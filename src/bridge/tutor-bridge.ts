import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { Client } from "@colyseus/sdk";
import { WebSocketServer, type WebSocket } from "ws";
import type { JoinTokens } from "../auth/join-tokens.js";
import { JoinRejection } from "../auth/join-rejections.js";
import type { Logger } from "../logger.js";
import { isErrorCode } from "../protocol/error-codes.js";
import { BRIDGE_CLOSE, BRIDGE_MAX_FRAME_BYTES } from "../protocol/tutor-bridge-messages.js";
import { BRIDGE_SAMPLE_RATE, BridgeAudio } from "./bridge-audio.js";
import { BridgeConnection, type BridgeConnectionOptions, type BridgeSeat } from "./bridge-connection.js";

export interface TutorBridgeDeps {
  tokens: JoinTokens;
  /** The engine's own URL (read per connection: with PORT=0 it is known only once the server listens). */
  engineUrl: () => string;
  logger: Logger;
  connection?: Partial<BridgeConnectionOptions>;
}

/** `/ws/{session_id}` and `/ws/ws/{session_id}`, the virtual tutor server's two paths. */
const BRIDGE_PATH = /^\/ws(?:\/ws)?\/([^/?#]+)$/;

/**
 * The virtual tutor server's plain-WebSocket clients, bridged into the session rooms. The engine's HTTP server hands
 * upgrades on the bridge's paths here and every other to Colyseus. A token is checked before anything else is
 * accepted (a bad one closes the socket with 1008 and the code as reason); a good one joins the room through the
 * Colyseus SDK over loopback with the token's seat, so the room sees an ordinary client.
 */
export class TutorBridge {
  readonly #deps: TutorBridgeDeps;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: BRIDGE_MAX_FRAME_BYTES });
  readonly #audio: BridgeAudio;
  readonly #connections = new Set<BridgeConnection>();

  constructor(deps: TutorBridgeDeps) {
    this.#deps = deps;
    this.#audio = new BridgeAudio(deps.logger);
  }

  /** Whether an upgrade request is the bridge's. */
  static handles(req: IncomingMessage): boolean {
    return BRIDGE_PATH.test(pathOf(req));
  }

  get size(): number {
    return this.#connections.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const sessionId = safeDecode(BRIDGE_PATH.exec(pathOf(req))?.[1] ?? "");
    const query = (req.url ?? "").split("?")[1] ?? "";
    const token = new URLSearchParams(query).get("token") ?? undefined;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      // Nothing the client sends is read until its token is checked and its seat is taken.
      ws.pause();
      this.#accept(ws, sessionId, token).catch((error: unknown) => {
        this.#deps.logger.error({ err: error }, "bridge connection failed");
        refuse(ws, "internal");
      });
    });
  }

  async #accept(ws: WebSocket, sessionId: string, token: string | undefined): Promise<void> {
    const { tokens, logger } = this.#deps;
    let seat: BridgeSeat;
    try {
      const claims = await tokens.verify(token, sessionId);
      if (claims.kind !== "tutoring") throw new JoinRejection("token_wrong_session", "the bridge serves tutoring sessions");
      seat = { participantId: claims.participantId, speaks: claims.role !== "observer" };
    } catch (error) {
      if (!(error instanceof JoinRejection)) throw error;
      refuse(ws, error.code);
      return;
    }
    const client = new Client(this.#deps.engineUrl());
    client.auth.token = token ?? "";
    let room;
    try {
      room = await client.joinById(sessionId, { sample_rate: BRIDGE_SAMPLE_RATE });
    } catch (error) {
      // The SDK's error message is the room's stable code (`session_ended`, `session_full`, ...).
      const message = error instanceof Error ? error.message : "";
      refuse(ws, isErrorCode(message) ? message : "internal");
      return;
    }
    if (ws.readyState !== ws.OPEN) {
      await room.leave(true);
      return;
    }
    const log = logger.child({ session_id: sessionId, participant_id: seat.participantId, bridge: true });
    const connection = new BridgeConnection(ws, room, seat, this.#audio, log, this.#deps.connection);
    this.#connections.add(connection);
    ws.on("close", () => this.#connections.delete(connection));
    ws.resume();
    log.info("bridge client joined");
  }

  /** Closes every bridged client (1001) and the decoding thread. */
  async close(): Promise<void> {
    for (const connection of this.#connections) connection.close(BRIDGE_CLOSE.goingAway, "shutdown");
    this.#connections.clear();
    this.#wss.close();
    await this.#audio.close();
  }
}

/** Closes a socket whose messages were never read: it must read again to finish the close handshake. */
function refuse(ws: WebSocket, reason: string): void {
  ws.resume();
  ws.close(BRIDGE_CLOSE.policy, reason);
}

/** The request's path, read without a URL parser that could throw on what a hostile client sends. */
function pathOf(req: IncomingMessage): string {
  return (req.url ?? "/").split("?")[0] ?? "/";
}

/** `%`-decoding that does not throw on a malformed escape (the id then matches no session). */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
