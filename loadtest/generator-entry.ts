import { LoadGenerator } from "./load-generator.js";
import { parentMessage, type WorkerMessage } from "./worker-protocol.js";

/**
 * A generator process (forked by the load run): `start` → joins its clients, answers `ready`; `go` → streams,
 * reports progress, answers `report` and exits. Any failure is reported, never left hanging.
 */
function send(message: WorkerMessage): void {
  process.send?.(message);
}

function main(): void {
  if (process.send === undefined) {
    process.stderr.write("generator-entry runs only as a child of the load run (it needs an IPC channel)\n");
    process.exit(2);
  }
  let generator: Promise<LoadGenerator> | null = null;
  process.on("message", (raw: unknown) => {
    const parsed = parentMessage.safeParse(raw);
    if (!parsed.success) {
      send({ type: "failed", message: "unreadable message from the load run" });
      return;
    }
    const message = parsed.data;
    if (message.type === "abort") process.exit(1);
    if (message.type === "start") {
      generator = LoadGenerator.create(message);
      void generator
        .then(async (g) => send({ type: "ready", ...(await g.join()) }))
        .catch((error: unknown) => fail(error));
      return;
    }
    if (generator === null) {
      send({ type: "failed", message: "go before start" });
      return;
    }
    void generator
      .then(async (g) => {
        await g.stream(message.startAtMs, message.stopAtMs, (progress) => send({ type: "progress", progress }));
        send({ type: "report", report: await g.finish() });
        process.disconnect();
      })
      .catch((error: unknown) => fail(error));
  });
  // The parent went away: nothing left to report to.
  process.on("disconnect", () => setTimeout(() => process.exit(0), 500).unref());
}

function fail(error: unknown): void {
  send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect();
}

main();
