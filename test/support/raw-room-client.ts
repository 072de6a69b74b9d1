import { Protocol } from "@colyseus/core";
import { encode } from "@colyseus/schema";
import WebSocket from "ws";
import { z } from "zod";

/**
 * A client of the Colyseus protocol without the SDK, for hostile tests: it reserves a seat over the matchmaking
 * HTTP route, opens the room's WebSocket and sends whatever frames a test builds, byte for byte.
 */

const seatReservation = z.object({ sessionId: z.string(), roomId: z.string(), processId: z.string() });

/** A seat in session `sessionId` for `token`; the WebSocket URL that takes it. */
export async function reserveSeat(httpUrl: string, sessionId: string, token: string): Promise<string> {
  const response = await fetch(`${httpUrl}/matchmake/joinById/${encodeURIComponent(sessionId)}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: "{}",
  });
  if (response.status !== 200) throw new Error(`seat reservation failed: ${response.status} ${await response.text()}`);
  const seat = seatReservation.parse(await response.json());
  const wsUrl = httpUrl.replace(/^http/, "ws");
  return `${wsUrl}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}&_authToken=${encodeURIComponent(token)}`;
}

function header(code: number, type: string | number): Uint8Array {
  const buffer = new Uint8Array(16 + Buffer.byteLength(String(type)) * 2);
  buffer[0] = code;
  const it = { offset: 1 };
  if (typeof type === "string") encode.string(buffer, type, it);
  else encode.number(buffer, type, it);
  return buffer.subarray(0, it.offset);
}

/** `room.send(type, …)` as the SDK frames it, with the MessagePack payload given as bytes. */
export function roomDataFrame(type: string | number, payload?: Uint8Array): Uint8Array {
  const head = header(Protocol.ROOM_DATA, type);
  return payload === undefined ? head : Buffer.concat([head, payload]);
}

/** `room.sendBytes(type, bytes)` as the SDK frames it. */
export function roomBytesFrame(type: string | number, bytes: Uint8Array): Uint8Array {
  return Buffer.concat([header(Protocol.ROOM_DATA_BYTES, type), bytes]);
}

export interface RawConnection {
  socket: WebSocket;
  /** Frames received so far. */
  frames: Uint8Array[];
  /** Resolves with the close code. */
  closed: Promise<number>;
  send(frame: Uint8Array): void;
  /** Resolves with the first frame (received or to come) whose first byte is `code` (e.g. Protocol.ROOM_STATE). */
  next(code: number): Promise<Uint8Array>;
}

/**
 * Opens the room's WebSocket and completes the join handshake (the server's JOIN_ROOM frame acknowledged), unless
 * `acknowledge` is false.
 */
export async function openRawConnection(url: string, options: { acknowledge?: boolean } = {}): Promise<RawConnection> {
  const socket = new WebSocket(url);
  const frames: Uint8Array[] = [];
  const waiters: { code: number; resolve: (frame: Uint8Array) => void }[] = [];
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
  const joined = new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("message", (data: Buffer) => {
      const frame = new Uint8Array(data);
      frames.push(frame);
      if (frame[0] === Protocol.JOIN_ROOM) {
        if (options.acknowledge !== false) socket.send(Uint8Array.of(Protocol.JOIN_ROOM));
        resolve();
      }
      for (const waiter of waiters.splice(0)) {
        if (frame[0] === waiter.code) waiter.resolve(frame);
        else waiters.push(waiter);
      }
    });
    void closed.then((code) => reject(new Error(`closed (${code}) before joining`)));
  });
  await joined;
  return {
    socket,
    frames,
    closed,
    send: (frame) => socket.send(frame),
    next: (code) => {
      const seen = frames.find((frame) => frame[0] === code);
      return seen === undefined ? new Promise((resolve) => waiters.push({ code, resolve })) : Promise.resolve(seen);
    },
  };
}
