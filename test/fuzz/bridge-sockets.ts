import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import WebSocket from "ws";
import type { WireFrame } from "./bridge-entry.js";

/**
 * The bridge fuzz's two clients behind one interface: `ws` (what that server's clients use), and a raw one over TCP
 * that writes its request target and frames byte for byte — `ws` normalises a URL (`..`, `%2e`, `\`) and refuses a
 * fragment, and never writes a frame that breaks RFC 6455.
 */

export type Received = { kind: "text"; text: string } | { kind: "binary"; bytes: Uint8Array };
export interface Closed {
  code: number;
  reason: string;
}

export interface BridgeSocket {
  /** Every frame the server sent, in order. */
  readonly received: readonly Received[];
  /** Resolves once `count` frames have arrived, or on the close. */
  receivedAtLeast(count: number): Promise<void>;
  /** The close: its code and reason; 1006 when the connection ended without a close frame. */
  readonly closed: Promise<Closed>;
  isOpen(): boolean;
  send(frame: WireFrame): void;
  /** A ping: resolves on its pong (every frame sent before it has been handled) or on the close. */
  roundTrip(): Promise<void>;
  /** Closes (1000) and waits for the close. */
  close(): Promise<Closed>;
  /** Drops the connection without a close handshake once what was sent has been written. */
  hangUp(): Promise<void>;
  terminate(): void;
}

/** Frames as they arrive, with waiters for a count of them. */
class ReceivedLog {
  readonly frames: Received[] = [];
  readonly #waiters: { count: number; resolve: () => void }[] = [];

  constructor(closed: Promise<Closed>) {
    void closed.then(() => this.#waiters.splice(0).forEach((waiter) => waiter.resolve()));
  }

  push(frame: Received): void {
    this.frames.push(frame);
    for (const waiter of this.#waiters.filter((w) => this.frames.length >= w.count)) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  atLeast(count: number, open: boolean): Promise<void> {
    if (this.frames.length >= count || !open) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}

/** Writes not yet handed to the operating system. */
class PendingWrites {
  #pending = 0;
  #waiters: (() => void)[] = [];

  /** A write's callback. */
  add(): () => void {
    this.#pending += 1;
    return () => {
      this.#pending -= 1;
      if (this.#pending === 0) this.#waiters.splice(0).forEach((resolve) => resolve());
    };
  }

  drained(): Promise<void> {
    return this.#pending === 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** The socket, or why the upgrade did not happen: `refused:<status>`, or `refused:none` (no HTTP answer). */
export type Opened = { socket: BridgeSocket } | { refused: string };

export function openWs(url: string): Promise<Opened> {
  const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
  // A server that closes while a large frame is still being written resets the connection: an `error`, then `close`.
  ws.on("error", () => {});
  const closed = new Promise<Closed>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString("utf8") })));
  const log = new ReceivedLog(closed);
  ws.on("message", (data: Buffer, isBinary) => log.push(isBinary ? { kind: "binary", bytes: new Uint8Array(data) } : { kind: "text", text: data.toString("utf8") }));
  const writes = new PendingWrites();
  const socket: BridgeSocket = {
    received: log.frames,
    receivedAtLeast: (count) => log.atLeast(count, ws.readyState === WebSocket.OPEN),
    closed,
    isOpen: () => ws.readyState === WebSocket.OPEN,
    send(frame) {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (frame.kind === "wire") throw new Error("a wire frame needs a raw connection");
      ws.send(frame.data, { binary: frame.kind === "binary" }, writes.add());
    },
    roundTrip: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState !== WebSocket.OPEN) return resolve();
        ws.once("pong", () => resolve());
        void closed.then(() => resolve());
        ws.ping();
      }),
    async close() {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      return closed;
    },
    async hangUp() {
      await writes.drained();
      ws.terminate();
    },
    terminate: () => ws.terminate(),
  };
  return new Promise((resolve) => {
    ws.once("open", () => resolve({ socket }));
    ws.once("unexpected-response", (_req, res) => {
      resolve({ refused: `refused:${res.statusCode ?? 0}` });
      ws.terminate();
    });
    void closed.then(() => resolve({ refused: "refused:none" }));
  });
}

const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** A client frame: FIN set, masked (RFC 6455 §5.3); the corpus passes a fixed `mask` so its frames are the same per seed. */
export function maskedFrame(opcode: number, payload: Uint8Array, mask: Uint8Array = randomBytes(4)): Uint8Array {
  const length = payload.byteLength;
  const header = length < 126 ? Uint8Array.of(0x80 | opcode, 0x80 | length) : length < 65_536 ? Uint8Array.of(0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff) : (() => {
    const h = Buffer.alloc(10);
    h[0] = 0x80 | opcode;
    h[1] = 0x80 | 127;
    h.writeBigUInt64BE(BigInt(length), 2);
    return h;
  })();
  const body = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) body[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
  return Buffer.concat([header, mask, body]);
}

/** Reads the server's (unmasked) frames as they arrive. */
class FrameReader {
  #buffer = Buffer.alloc(0);
  #fragments: { opcode: number; parts: Buffer[] } | null = null;

  constructor(private readonly onFrame: (opcode: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#buffer.byteLength < 2) return;
      const b0 = this.#buffer[0] ?? 0;
      const b1 = this.#buffer[1] ?? 0;
      let length = b1 & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.byteLength < 4) return;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.byteLength < 10) return;
        length = Number(this.#buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.#buffer.byteLength < offset + length) return;
      const payload = this.#buffer.subarray(offset, offset + length);
      this.#buffer = this.#buffer.subarray(offset + length);
      this.#frame(b0 & 0x80 ? true : false, b0 & 0x0f, Buffer.from(payload));
    }
  }

  #frame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode >= OPCODE.close) return this.onFrame(opcode, payload);
    if (opcode !== OPCODE.continuation) this.#fragments = { opcode, parts: [] };
    this.#fragments?.parts.push(payload);
    if (!fin || this.#fragments === null) return;
    const { opcode: dataOpcode, parts } = this.#fragments;
    this.#fragments = null;
    this.onFrame(dataOpcode, Buffer.concat(parts));
  }
}

const HEAD_END = Buffer.from("\r\n\r\n", "latin1");

/** An upgrade request for `target`, written as latin1 bytes exactly as given. */
export function openRaw(port: number, target: string): Promise<Opened> {
  const tcp: Socket = connect({ host: "127.0.0.1", port });
  const pongWaiters: (() => void)[] = [];
  let open = false;
  let closeSent = false;
  let resolveClosed: (closed: Closed) => void = () => {};
  const closed = new Promise<Closed>((resolve) => (resolveClosed = resolve));
  const log = new ReceivedLog(closed);
  const writes = new PendingWrites();
  const write = (bytes: Uint8Array) => {
    if (!tcp.destroyed && tcp.writable) tcp.write(bytes, writes.add());
  };
  const reader = new FrameReader((opcode, payload) => {
    if (opcode === OPCODE.text) log.push({ kind: "text", text: payload.toString("utf8") });
    else if (opcode === OPCODE.binary) log.push({ kind: "binary", bytes: new Uint8Array(payload) });
    else if (opcode === OPCODE.ping) write(maskedFrame(OPCODE.pong, payload));
    else if (opcode === OPCODE.pong) pongWaiters.splice(0).forEach((resolve) => resolve());
    else if (opcode === OPCODE.close) {
      open = false;
      resolveClosed({ code: payload.byteLength >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString("utf8") });
      if (!closeSent) write(maskedFrame(OPCODE.close, payload.subarray(0, 2)));
      closeSent = true;
      tcp.end();
    }
  });
  const socket: BridgeSocket = {
    received: log.frames,
    receivedAtLeast: (count) => log.atLeast(count, open),
    closed,
    isOpen: () => open,
    send(frame) {
      if (!open) return;
      if (frame.kind === "wire") write(frame.data);
      else write(maskedFrame(frame.kind === "binary" ? OPCODE.binary : OPCODE.text, typeof frame.data === "string" ? Buffer.from(frame.data, "utf8") : frame.data));
    },
    roundTrip: () =>
      new Promise<void>((resolve) => {
        if (!open) return resolve();
        pongWaiters.push(resolve);
        void closed.then(() => resolve());
        write(maskedFrame(OPCODE.ping, Buffer.from("rt")));
      }),
    async close() {
      if (open && !closeSent) {
        closeSent = true;
        write(maskedFrame(OPCODE.close, Uint8Array.of(0x03, 0xe8)));
      }
      return closed;
    },
    async hangUp() {
      await writes.drained();
      tcp.destroy();
    },
    terminate: () => tcp.destroy(),
  };
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      if (open) return reader.push(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) return;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.subarray(0, end).toString("latin1"))?.[1] ?? 0);
      if (status !== 101) {
        resolve({ refused: `refused:${status}` });
        tcp.destroy();
        return;
      }
      open = true;
      resolve({ socket });
      reader.push(head.subarray(end + HEAD_END.byteLength));
    };
    tcp.on("data", onData);
    tcp.on("error", () => {});
    tcp.on("close", () => {
      open = false;
      resolveClosed({ code: 1006, reason: "" });
      resolve({ refused: "refused:none" });
    });
    const key = randomBytes(16).toString("base64");
    tcp.write(
      Buffer.from(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        "latin1",
      ),
    );
  });
}
