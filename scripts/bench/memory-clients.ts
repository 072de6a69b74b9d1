/**
 * A client process of the memory bench (forked by memory-client-pool.ts): joins its share of seats with the real
 * @colyseus/sdk and holds them idle — no audio, no messages — until told to leave. Its own memory never mixes with
 * the server's, which is the point of running clients out of process.
 */
import { Client, ServerError, type Room } from "@colyseus/sdk";
import { clientRequest, type ClientReply, type Seat } from "./memory-protocol.js";

const rooms: Room[] = [];
/** Close codes of rooms that closed while they were meant to stay (the server dropped or refused them). */
const closed: Record<string, number> = {};
let leaving = false;

function send(reply: ClientReply): void {
  process.send?.(reply);
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

async function joinOne(url: string, seat: Seat, timeoutMs: number): Promise<Room> {
  const client = new Client(url);
  if (seat.token !== null) client.auth.token = seat.token;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.joinById(seat.roomId),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("join_timeout")), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function join(url: string, seats: Seat[], concurrency: number, timeoutMs: number): Promise<ClientReply> {
  const failures: Record<string, number> = {};
  let next = 0;
  let joined = 0;
  let slowestMs = 0;
  const lane = async () => {
    while (next < seats.length) {
      const seat = seats[next++];
      if (seat === undefined) return;
      const startedMs = performance.now();
      try {
        const room = await joinOne(url, seat, timeoutMs);
        slowestMs = Math.max(slowestMs, performance.now() - startedMs);
        // Every server message is taken and dropped: unhandled types would only print SDK warnings.
        room.onMessage("*", () => undefined);
        room.onLeave((code: number) => {
          if (!leaving) bump(closed, `left ${code}`);
        });
        room.onDrop((code: number) => bump(closed, `dropped ${code}`));
        rooms.push(room);
        joined += 1;
      } catch (error) {
        const code = error instanceof ServerError ? `${error.code} ${error.message}` : error instanceof Error ? error.message : "unknown";
        bump(failures, code.slice(0, 60));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, seats.length)) }, lane));
  return { type: "joined", joined, failed: seats.length - joined, failures, join_ms_max: Math.round(slowestMs) };
}

async function leave(): Promise<ClientReply> {
  leaving = true;
  const open = rooms.splice(0);
  await Promise.allSettled(open.map((room) => (room.connection.isOpen ? room.leave(true) : Promise.resolve(0))));
  return { type: "left", left: open.length };
}

function main(): void {
  if (process.send === undefined) {
    process.stderr.write("memory-clients runs only as a child of the memory bench (it needs an IPC channel)\n");
    process.exit(2);
  }
  process.on("message", (raw: unknown) => {
    const parsed = clientRequest.safeParse(raw);
    if (!parsed.success) {
      send({ type: "failed", message: "unreadable request from the memory bench" });
      return;
    }
    const request = parsed.data;
    const work: Promise<ClientReply> =
      request.type === "join"
        ? join(request.url, request.seats, request.concurrency, request.timeoutMs)
        : request.type === "leave"
          ? leave()
          : Promise.resolve({ type: "status", open: rooms.filter((room) => room.connection.isOpen).length, closed: { ...closed } });
    work.then(send, (error: unknown) => send({ type: "failed", message: error instanceof Error ? error.message : String(error) }));
  });
  // The bench went away: nothing left to hold the connections for.
  process.on("disconnect", () => process.exit(0));
}

main();
