import { parentPort, workerData } from "node:worker_threads";
import { InferenceSession } from "onnxruntime-node";
import { z } from "zod";
import { errorText } from "./inference-error.js";
import {
  packTensors,
  unpackTensors,
  type OrtWorkerReply,
  type OrtWorkerRequest,
} from "./ort-worker-protocol.js";

/**
 * Worker-thread entry of `OrtWorkerSession`: loads one model and serves its runs, so the model's synchronous
 * execution blocks this thread instead of the owner's. Requests are handled one at a time, in order.
 */
const workerDataSchema = z.object({
  modelPath: z.string(),
  settings: z.object({
    executionProviders: z.array(z.enum(["cuda", "cpu"])),
    intraOpNumThreads: z.number().int().min(0),
    interOpNumThreads: z.number().int().min(0),
    logSeverityLevel: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
  }),
});

async function serve(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("ort-worker runs as a worker thread");
  const post = (reply: OrtWorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
  let session: InferenceSession;
  try {
    const { modelPath, settings } = workerDataSchema.parse(workerData);
    session = await InferenceSession.create(modelPath, settings);
  } catch (cause) {
    post({ type: "load_failed", message: errorText(cause) });
    port.close();
    return;
  }

  const handle = async (request: OrtWorkerRequest): Promise<void> => {
    if (request.type === "release") {
      try {
        await session.release();
      } finally {
        // The owner terminates the thread next either way.
        post({ type: "released" });
        port.close();
      }
      return;
    }
    try {
      const outputs = await session.run(unpackTensors(request.feeds));
      // This thread never reads the outputs again: hand their buffers over instead of copying them.
      const packed = packTensors(outputs, false);
      post({ type: "result", id: request.id, outputs: packed.tensors }, packed.transfer);
    } catch (cause) {
      post({ type: "run_failed", id: request.id, message: errorText(cause) });
    }
  };
  let tail = Promise.resolve();
  port.on("message", (request: OrtWorkerRequest) => {
    tail = tail.then(() => handle(request));
  });
  post({ type: "ready", inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
}

void serve();
