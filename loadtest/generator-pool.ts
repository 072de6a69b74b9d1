import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SessionTicket } from "./management-client.js";
import { workerMessage, type WorkerAssignment, type WorkerMessage, type WorkerProgress, type WorkerReport } from "./worker-protocol.js";

const ENTRY = fileURLToPath(new URL("./generator-entry.ts", import.meta.url));

interface Generator {
  child: ChildProcess;
  messages: WorkerMessage[];
  waiters: ((message: WorkerMessage) => void)[];
  progress: WorkerProgress | null;
  exited: Promise<void>;
}

/** Where a generator process's own stdout / stderr goes (the SDK's warnings, a crash's stack). */
export type GeneratorOutput = (text: string, stream: "stdout" | "stderr") => void;

const passThrough: GeneratorOutput = (text, stream) => {
  (stream === "stdout" ? process.stdout : process.stderr).write(text);
};

export interface GeneratorSetup {
  engineUrl: string;
  pcmPath: string;
  utterances: WorkerAssignment["utterances"];
  speakers: number;
  joinTimeoutMs: number;
  settleMs: number;
  /** Every participant's camera, or null. */
  video: WorkerAssignment["video"];
}

/**
 * The generator processes of one run. Sessions are dealt out whole (round-robin) so a session's speaker and
 * listeners share a clock; each process runs its clients on its own event loop, so the generator scales with cores.
 */
export class GeneratorPool {
  readonly #generators: Generator[] = [];

  readonly #output: GeneratorOutput;

  private constructor(output: GeneratorOutput) {
    this.#output = output;
  }

  static start(count: number, sessions: SessionTicket[], setup: GeneratorSetup, output: GeneratorOutput = passThrough): GeneratorPool {
    const pool = new GeneratorPool(output);
    const shares: SessionTicket[][] = Array.from({ length: Math.max(1, Math.min(count, sessions.length)) }, () => []);
    sessions.forEach((session, i) => shares[i % shares.length]?.push(session));
    let firstSpeakerIndex = 0;
    let firstCameraIndex = 0;
    const cameras = (share: SessionTicket[]) => (setup.video === null ? 0 : share.reduce((n, s) => n + s.participants.length, 0));
    const totalCameras = cameras(sessions);
    for (const share of shares) {
      const generator = pool.#fork();
      const assignment: WorkerAssignment = {
        type: "start",
        ...setup,
        sessions: share,
        firstSpeakerIndex,
        totalSpeakers: sessions.length * setup.speakers,
        firstCameraIndex,
        totalCameras,
      };
      generator.child.send(assignment);
      firstSpeakerIndex += share.length * setup.speakers;
      firstCameraIndex += cameras(share);
    }
    return pool;
  }

  #fork(): Generator {
    // Piped, not inherited, so a caller (the small-load test) can see what the generators print.
    const child = fork(ENTRY, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "pipe", "pipe", "ipc"] });
    child.stdout?.setEncoding("utf8").on("data", (text: string) => this.#output(text, "stdout"));
    child.stderr?.setEncoding("utf8").on("data", (text: string) => this.#output(text, "stderr"));
    const generator: Generator = {
      child,
      messages: [],
      waiters: [],
      progress: null,
      exited: new Promise((resolve) => child.once("exit", () => resolve())),
    };
    // A send racing the child's exit fails with EPIPE: the exit is what matters, and it is awaited.
    child.on("error", () => undefined);
    child.on("message", (raw: unknown) => {
      const parsed = workerMessage.safeParse(raw);
      const message: WorkerMessage = parsed.success ? parsed.data : { type: "failed", message: "unreadable message from a generator" };
      if (message.type === "progress") {
        generator.progress = message.progress;
        return;
      }
      const waiter = generator.waiters.shift();
      if (waiter === undefined) generator.messages.push(message);
      else waiter(message);
    });
    child.once("exit", (code) => {
      for (const waiter of generator.waiters.splice(0)) waiter({ type: "failed", message: `generator exited (${code})` });
    });
    this.#generators.push(generator);
    return generator;
  }

  /** Waits for each generator's next non-progress message (or a timeout, reported as failed). */
  async #next(timeoutMs: number): Promise<WorkerMessage[]> {
    return Promise.all(
      this.#generators.map(
        (g) =>
          new Promise<WorkerMessage>((resolve) => {
            const queued = g.messages.shift();
            if (queued !== undefined) {
              resolve(queued);
              return;
            }
            const timer = setTimeout(() => resolve({ type: "failed", message: `no answer in ${timeoutMs} ms` }), timeoutMs);
            g.waiters.push((message) => {
              clearTimeout(timer);
              resolve(message);
            });
          }),
      ),
    );
  }

  async ready(timeoutMs: number): Promise<{ joined: number; failed: number }> {
    const answers = await this.#next(timeoutMs);
    let joined = 0;
    let failed = 0;
    for (const answer of answers) {
      if (answer.type !== "ready") throw new Error(`a generator failed to join: ${answer.type === "failed" ? answer.message : answer.type}`);
      joined += answer.joined;
      failed += answer.failed;
    }
    return { joined, failed };
  }

  go(startAtMs: number, stopAtMs: number): void {
    for (const g of this.#generators) g.child.send({ type: "go", startAtMs, stopAtMs });
  }

  progress(): WorkerProgress {
    const total: WorkerProgress = { frames_sent: 0, utterances_sent: 0, transcripts_received: 0, errors: 0 };
    for (const g of this.#generators) {
      if (g.progress === null) continue;
      total.frames_sent += g.progress.frames_sent;
      total.utterances_sent += g.progress.utterances_sent;
      total.transcripts_received += g.progress.transcripts_received;
      total.errors += g.progress.errors;
      const { camera_frames_sent: cameraFrames, expressions_received: expressions } = g.progress;
      if (cameraFrames !== undefined) total.camera_frames_sent = (total.camera_frames_sent ?? 0) + cameraFrames;
      if (expressions !== undefined) total.expressions_received = (total.expressions_received ?? 0) + expressions;
    }
    return total;
  }

  async reports(timeoutMs: number): Promise<WorkerReport[]> {
    const answers = await this.#next(timeoutMs);
    return answers.map((answer) => {
      if (answer.type !== "report") throw new Error(`a generator failed: ${answer.type === "failed" ? answer.message : answer.type}`);
      return answer.report;
    });
  }

  /** Stops every generator (killing those that do not exit in time). */
  async close(): Promise<void> {
    for (const g of this.#generators) {
      if (g.child.exitCode === null && g.child.connected) g.child.send({ type: "abort" });
    }
    const killer = setTimeout(() => this.#generators.forEach((g) => g.child.kill("SIGKILL")), 5_000);
    await Promise.all(this.#generators.map((g) => g.exited));
    clearTimeout(killer);
  }
}
