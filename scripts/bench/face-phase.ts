import { BlazeFace } from "../../src/inference/models/blazeface.js";
import { FaceExpression, type FaceCrop } from "../../src/inference/models/face-expression.js";
import { TfWasmRuntime } from "../../src/inference/models/tfjs-wasm.js";
import { DEFAULT_FACE_PIPELINE_OPTIONS } from "../../src/inference/video/face-pipeline.js";
import { decodeJpegFrame } from "../../src/inference/video/jpeg-frame.js";
import type { Logger } from "../../src/logger.js";
import { createTestPhotos } from "../../test/support/test-photos.js";
import type { BenchOptions } from "./bench-options.js";
import { runFaceLive, type FaceLiveResult } from "./face-live.js";
import { runBlazeFaceGraphs, runExpressionPass, type BlazeFaceGraphResult, type ExpressionPassResult } from "./face-model-passes.js";
import { runDecodePass, runFaceBatched, runFaceOneAtATime, type DecodePassResult, type FacePassResult } from "./face-throughput.js";
import { round } from "./latency-stats.js";
import { machineInfo } from "./machine-info.js";
import type { PhaseRunner } from "./phase-runner.js";
import { medianRepetition, type WithRepetitions } from "./repetitions.js";
import { servePool } from "./served-pool.js";

/** Each figure with the machine's 1-minute load average when it was measured: the machine is shared. */
export type WithLoad<T> = T & { load_average_1m: number };

export interface FaceFigures {
  photo: { name: string; width: number; height: number; jpeg_bytes: number; faces: number };
  /** The face pipeline's batcher: its largest batch (the pool's default unless `--face-batch`). */
  max_batch_size: number;
  /** JPEG decoding alone, by thread count. */
  decode_only: WithLoad<WithRepetitions<DecodePassResult>>[];
  one_at_a_time: WithLoad<WithRepetitions<FacePassResult>> | null;
  batched: WithLoad<WithRepetitions<FacePassResult>>[];
  expression: {
    one_at_a_time: WithLoad<WithRepetitions<ExpressionPassResult>> | null;
    batched: WithLoad<WithRepetitions<ExpressionPassResult>>[];
  };
  blazeface_graphs: WithLoad<BlazeFaceGraphResult> | null;
  live: WithLoad<FaceLiveResult>[];
}

const withLoad = <T extends object>(value: T): WithLoad<T> => ({ ...value, load_average_1m: machineInfo().load_average_1m });

/**
 * The face part of the bench: the pipeline in process (one frame at a time vs the dynamic batcher at each stream
 * count and decoder-thread count, and once with BlazeFace's opened graph), the expression model alone batched vs one
 * at a time, BlazeFace's two graphs, then live cameras at `faceLiveFps` through a served pool's StreamVideo. All on
 * scikit-image's astronaut photo (Debian's python3-skimage) as the pool receives it: a q90 JPEG.
 */
export async function benchFace(options: BenchOptions, logger: Logger, runner: PhaseRunner): Promise<FaceFigures> {
  const photo = await createTestPhotos().photo("astronaut");
  const image = decodeJpegFrame(photo.jpeg);
  const runtime = new TfWasmRuntime();
  const detector = await BlazeFace.load();
  const closers: (() => Promise<void>)[] = [() => detector.close()];
  try {
    const opened = await BlazeFace.load({ batching: "opened", modelsDir: options.modelsDir });
    closers.push(() => opened.close());
    const expression = await FaceExpression.load({ runtime });
    closers.push(() => expression.close());
    const [faces] = await detector.run([image]);
    const face = faces?.[0];
    if (face === undefined) throw new Error("BlazeFace found no face on the astronaut photo: nothing to measure");
    const crop: FaceCrop = { image, box: face.box };
    const bounds = { maxMs: options.facePassMaxMs, maxFrames: options.facePassMaxFrames, warmUpMs: options.faceWarmUpMs };
    const warmUp = { maxMs: options.faceWarmUpMs, maxFrames: options.facePassMaxFrames, warmUpMs: 0 };
    const models = { detector, expression, detectorKind: "shipped" as const };
    const maxBatchSize = options.faceMaxBatch ?? DEFAULT_FACE_PIPELINE_OPTIONS.batcher.maxBatchSize ?? 16;

    const decodeThreads = [...new Set([1, ...options.faceDecoderThreads, Math.max(...options.faceDecoderThreads) + 1])];
    runner.progress(`face: JPEG decoding alone on ${decodeThreads.join(", ")} threads`);
    const decodeRuns = decodeThreads.map((): DecodePassResult[] => []);
    for (let r = 0; r < options.repetitions; r++) {
      for (const [i, threads] of decodeThreads.entries()) decodeRuns[i]?.push(await runDecodePass(photo.jpeg, logger, threads, bounds));
    }
    const decodeOnly = decodeRuns.flatMap((runs) => {
      const median = medianRepetition(runs, (pass) => pass.frames_per_s);
      return median === null ? [] : [withLoad(median)];
    });

    runner.progress(`face: pipeline passes (${options.repetitions} repetitions; streams ${options.faceStreamCounts.join(",")}, decoder threads ${options.faceDecoderThreads.join(",")})`);
    const setups = [
      ...options.faceStreamCounts.flatMap((streams) =>
        options.faceDecoderThreads.map((decoderThreads) => ({ streams, decoderThreads, maxBatchSize, opened: false })),
      ),
      // BlazeFace's opened graph (one session.run a batch) at the largest stream count, default threads.
      { streams: Math.max(...options.faceStreamCounts), decoderThreads: Math.max(...options.faceDecoderThreads), maxBatchSize, opened: true },
    ];
    // Warms the models' code up; each measured pass warms its own decoding threads up (`warmUpMs`).
    await runFaceOneAtATime(models, photo.jpeg, logger, warmUp);
    const baselineRuns: FacePassResult[] = [];
    const batchedRuns = setups.map((): FacePassResult[] => []);
    for (let r = 0; r < options.repetitions; r++) {
      baselineRuns.push(await runFaceOneAtATime(models, photo.jpeg, logger, bounds));
      for (const [i, setup] of setups.entries()) {
        const pass = await runFaceBatched(
          setup.opened ? { ...models, detector: opened, detectorKind: "opened" } : models,
          photo.jpeg,
          logger,
          setup,
          bounds,
        );
        batchedRuns[i]?.push(pass);
      }
    }
    const fps = (pass: FacePassResult) => pass.frames_per_s;
    const oneAtATime = medianRepetition(baselineRuns, fps);
    const batched = batchedRuns.flatMap((runs) => medianRepetition(runs, fps) ?? []);

    const expressionStreams = options.faceExpressionStreams;
    const pipelineBatch = maxBatchSize;
    const expressionSetups = [...new Set([pipelineBatch, expressionStreams])].map((maxBatchSize) => ({
      path: "batcher" as const,
      streams: expressionStreams,
      maxBatchSize,
    }));
    runner.progress(`face: expression model, one at a time vs batched at ${expressionStreams} streams`);
    const expressionBounds = { maxMs: options.facePassMaxMs, maxFrames: options.facePassMaxFrames * 4, warmUpMs: 0 };
    await runExpressionPass(expression, crop, { path: "one_at_a_time" }, warmUp);
    for (const setup of expressionSetups) await runExpressionPass(expression, crop, setup, warmUp);
    const expressionOne: ExpressionPassResult[] = [];
    const expressionBatched = expressionSetups.map((): ExpressionPassResult[] => []);
    for (let r = 0; r < options.repetitions; r++) {
      expressionOne.push(await runExpressionPass(expression, crop, { path: "one_at_a_time" }, expressionBounds));
      for (const [i, setup] of expressionSetups.entries()) expressionBatched[i]?.push(await runExpressionPass(expression, crop, setup, expressionBounds));
    }
    const facesPerS = (pass: ExpressionPassResult) => pass.faces_per_s;
    const expressionOneMedian = medianRepetition(expressionOne, facesPerS);

    runner.progress("face: BlazeFace shipped graph vs opened batch");
    const graphs = await runBlazeFaceGraphs(detector, opened, image, pipelineBatch, Math.max(3, options.repetitions * 2));

    const figures: FaceFigures = {
      photo: { name: photo.name, width: photo.width, height: photo.height, jpeg_bytes: photo.jpeg.byteLength, faces: faces?.length ?? 0 },
      max_batch_size: maxBatchSize,
      decode_only: decodeOnly,
      one_at_a_time: oneAtATime === null ? null : withLoad(oneAtATime),
      batched: batched.map(withLoad),
      expression: {
        one_at_a_time: expressionOneMedian === null ? null : withLoad(expressionOneMedian),
        batched: expressionBatched.flatMap((runs) => {
          const median = medianRepetition(runs, facesPerS);
          return median === null ? [] : [withLoad(median)];
        }),
      },
      blazeface_graphs: withLoad(graphs),
      live: [],
    };
    // The in-process models are freed before the served pool loads its own.
    for (const close of closers.splice(0).reverse()) await close();
    figures.live = (await runner.run("face_live", () => benchFaceLive(options, logger, runner, photo.jpeg))) ?? [];
    return figures;
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

async function benchFaceLive(options: BenchOptions, logger: Logger, runner: PhaseRunner, jpeg: Uint8Array): Promise<WithLoad<FaceLiveResult>[]> {
  const served = await servePool({
    modelsDir: options.modelsDir,
    logger,
    models: ["blazeface_front_128", "human_emotion"],
    video: {
      decoder: { threads: Math.max(...options.faceDecoderThreads) },
      ...(options.faceMaxBatch === null ? {} : { batcher: { maxBatchSize: options.faceMaxBatch } }),
    },
  });
  try {
    const results: WithLoad<FaceLiveResult>[] = [];
    for (const streams of options.faceLiveStreams) {
      runner.progress(`face: live StreamVideo, ${streams} cameras at ${options.faceLiveFps} fps for ${options.faceLiveMs} ms`);
      const result = await runFaceLive(served.client, jpeg, {
        streams,
        fps: options.faceLiveFps,
        streamsPerCall: options.faceStreamsPerCall,
        warmUpMs: options.faceLiveWarmUpMs,
        measureMs: options.faceLiveMs,
        drainMs: 5_000,
      });
      results.push(withLoad(result));
      runner.progress(
        `face: ${streams} cameras → p50 ${round(result.latency.p50_ms, 0)} ms, p99 ${round(result.latency.p99_ms, 0)} ms, ` +
          `dropped ${round(100 * result.dropped_share, 1)} %`,
      );
    }
    return results;
  } finally {
    await served.close();
  }
}
