import { createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

/**
 * The compose file's reverse proxy (deploy/nginx.conf) as a plain Node server for tests: `/<name>/…` goes to the
 * engine that name stands for, the prefix stripped (each engine's PUBLIC_ADDRESS is `proxy-host:port/<name>`, so the
 * SDK's room connection to `ws://<publicAddress>/<processId>/<roomId>` reaches the process that holds the room);
 * anything else goes round-robin to every engine (the API and matchmaking: any process answers for the cluster).
 * HTTP and WebSocket upgrades alike. Targets are set after the proxy listens: engines need their PUBLIC_ADDRESS,
 * which names the proxy's port, before they start.
 */
export interface ReverseProxy {
  /** `http://127.0.0.1:port` */
  url: string;
  /** `127.0.0.1:port`: what a PUBLIC_ADDRESS behind this proxy starts with. */
  host: string;
  /** Points `/<name>/` at `target` (`http://host:port`) and adds it to the round-robin; null takes it out of both. */
  route(name: string, target: string | null): void;
  /** Every request and upgrade forwarded, in order. */
  forwarded: ForwardedRequest[];
  close(): Promise<void>;
}

export interface ForwardedRequest {
  kind: "http" | "upgrade";
  /** The route it took: a name given to `route`, or null for the round-robin. */
  route: string | null;
  target: string;
  /** The path (and query) as the target got it, prefix stripped. */
  path: string;
}

/** Hop-by-hop headers are the proxy's own on each side (RFC 9110 §7.6.1); the rest passes unchanged. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

function endToEndHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
  return headers;
}

/** A proxy error in the engine's error shape, so a test failing on one reads like any other refusal. */
function badGateway(why: string): string {
  return JSON.stringify({ error: { code: "bad_gateway", message: why, retryable: true } });
}

export async function startReverseProxy(): Promise<ReverseProxy> {
  const named = new Map<string, string>();
  const forwarded: ForwardedRequest[] = [];
  const sockets = new Set<Socket>();
  let next = 0;

  /** The target and the path it gets for a request path, or null when no engine is set for it. */
  function resolve(url: string): Omit<ForwardedRequest, "kind"> | null {
    const match = /^\/([^/?#]+)([/?].*)?$/s.exec(url);
    const name = match?.[1];
    const target = name === undefined ? undefined : named.get(name);
    if (name !== undefined && target !== undefined) {
      const rest = match?.[2] ?? "/";
      return { route: name, target, path: rest.startsWith("?") ? `/${rest}` : rest };
    }
    const all = [...named.values()];
    const picked = all[next++ % Math.max(all.length, 1)];
    return picked === undefined ? null : { route: null, target: picked, path: url };
  }

  const server: Server = createServer((req, res) => {
    const to = resolve(req.url ?? "/");
    if (to === null) {
      res.writeHead(502, { "content-type": "application/json" }).end(badGateway("no engine is routed yet"));
      return;
    }
    forwarded.push({ kind: "http", ...to });
    const upstream = request(new URL(to.path, to.target), { method: req.method, headers: endToEndHeaders(req) }, (answer) => {
      const headers: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    upstream.on("error", (error) => {
      if (res.headersSent) res.destroy(error);
      else res.writeHead(502, { "content-type": "application/json" }).end(badGateway(`${to.target}: ${error.message}`));
    });
    req.pipe(upstream);
  });

  // An upgrade is forwarded byte for byte after its request head: the engine answers the handshake itself.
  server.on("upgrade", (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    const to = resolve(req.url ?? "/");
    if (to === null) {
      client.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    forwarded.push({ kind: "upgrade", ...to });
    const target = new URL(to.target);
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.once("close", () => sockets.delete(upstream));
    upstream.once("connect", () => {
      const lines = [`${req.method ?? "GET"} ${to.path} HTTP/1.1`];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i] ?? ""}: ${req.rawHeaders[i + 1] ?? ""}`);
      lines.push(`X-Forwarded-For: ${client.remoteAddress ?? ""}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    // Either side going away ends the other: a closed engine closes the client's socket, as nginx does.
    upstream.once("error", () => client.destroy());
    client.once("error", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    client.once("close", () => upstream.destroy());
  });

  await new Promise<void>((ready, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", ready);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    route(name, target) {
      if (target === null) named.delete(name);
      else named.set(name, target);
    },
    forwarded,
    close: () =>
      new Promise<void>((done, fail) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close((error) => (error ? fail(error) : done()));
      }),
  };
}
