import { createHash } from "node:crypto";
import { mkdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import onnxProto from "onnx-proto";
import type { Logger } from "../../logger.js";
import { errorText, InferenceError } from "./inference-error.js";
import { whisperSourceModel } from "./model-files.js";
import type { WhisperVocabulary } from "./whisper-tokenizer.js";
import { fileExists, writeFileAtomically } from "../../cache-files.js";
import { openWhisperWindow } from "./whisper-window.js";

const { onnx } = onnxProto;

/**
 * The shipped Whisper export ends in a `BpeDecoder` (ai.onnx.contrib, onnxruntime-extensions), which
 * onnxruntime-node lacks. Preparing drops that node (and the Cast feeding it), exposes the beam search's int32
 * token ids as the graph output, and keeps the tokenizer from the node's attributes as a JSON vocabulary. It also
 * makes the encoder's 30 s window an input (`openWhisperWindow`), so short utterances pay for less. Done once
 * per package version into the models folder; later calls find the files and return at once.
 */
export interface PrepareWhisperOptions {
  modelsDir: string;
  logger: Logger;
}

export interface PreparedWhisper {
  modelPath: string;
  vocabularyPath: string;
}

export interface WhisperPreparer {
  prepare(options: PrepareWhisperOptions): Promise<PreparedWhisper>;
}

/** Bump when the transformation changes, so existing prepared files are not reused. */
const PREPARE_FORMAT = 2;
const CONTRIB_DOMAIN = "ai.onnx.contrib";
const ONNX_INT32 = 6;

/**
 * A preparer that shares one in-flight preparation per models folder, so concurrent loads in a process decode the
 * 75 MB model once. Create one per process (the pool's composition root) and pass it to every `WhisperAsr.load`.
 */
export function createWhisperPreparer(): WhisperPreparer {
  const inFlight = new Map<string, Promise<PreparedWhisper>>();
  return {
    prepare(options) {
      const key = resolve(options.modelsDir);
      const existing = inFlight.get(key);
      if (existing !== undefined) return existing;
      const pending = prepareWhisper(options);
      inFlight.set(key, pending);
      // A failure is not cached: the next call tries again.
      pending.catch(() => inFlight.delete(key));
      return pending;
    },
  };
}

/**
 * Prepares (or finds) the loadable Whisper model and its vocabulary. Safe against concurrent callers and processes
 * (each writes its own temporary file and renames it into place); `createWhisperPreparer` also avoids the duplicate
 * work within a process.
 */
export async function prepareWhisper(options: PrepareWhisperOptions): Promise<PreparedWhisper> {
  const source = whisperSourceModel();
  const sourceStat = await stat(source.path);
  // Name the output after the source's identity, so a changed package prepares again instead of reusing stale files.
  // A registry version is immutable: name, version and size identify the bytes. Not the mtime: every `npm ci` writes
  // the file anew, and a graph prepared at image build time must still be found by the image's runtime stage.
  const version = createHash("sha256")
    .update(`${PREPARE_FORMAT}|${source.packageName}@${source.packageVersion}|${sourceStat.size}`)
    .digest("hex")
    .slice(0, 12);
  const base = join(options.modelsDir, `whisper-tiny-en-int8.${version}`);
  const prepared: PreparedWhisper = { modelPath: `${base}.onnx`, vocabularyPath: `${base}.vocab.json` };
  if ((await fileExists(prepared.modelPath)) && (await fileExists(prepared.vocabularyPath))) {
    options.logger.debug({ model_path: prepared.modelPath }, "whisper model already prepared");
    return prepared;
  }

  const startedAt = performance.now();
  options.logger.info({ source: source.path, models_dir: options.modelsDir }, "preparing whisper model (one-time)");
  try {
    await mkdir(options.modelsDir, { recursive: true });
    const model = onnx.ModelProto.decode(await readFile(source.path));
    const vocabulary = stripBpeDecoder(model);
    openWhisperWindow(model);
    await writeFileAtomically(prepared.vocabularyPath, JSON.stringify(vocabulary));
    await writeFileAtomically(prepared.modelPath, onnx.ModelProto.encode(model).finish());
  } catch (cause) {
    if (cause instanceof InferenceError) throw cause;
    throw new InferenceError("model_unavailable", `could not prepare the Whisper model: ${errorText(cause)}`, {
      cause,
    });
  }
  options.logger.info(
    { model_path: prepared.modelPath, duration_ms: Math.round(performance.now() - startedAt) },
    "whisper model prepared",
  );
  return prepared;
}

/** Edits `model` in place and returns the tokenizer taken from the removed node. */
function stripBpeDecoder(model: onnxProto.onnx.ModelProto): WhisperVocabulary {
  const graph = model.graph;
  if (graph === null || graph === undefined) throw unexpected("the model has no graph");
  const nodes = graph.node ?? [];
  const decoder = nodes.find((node) => node.opType === "BpeDecoder" && node.domain === CONTRIB_DOMAIN);
  const decoderInput = decoder?.input?.[0];
  if (decoder === undefined || decoderInput === undefined) throw unexpected("no BpeDecoder node");
  const vocabulary = readVocabulary(decoder);

  // The ids reach the decoder through a Cast (int32 → int64); drop it too when nothing else reads its output.
  const removed = new Set<onnxProto.onnx.INodeProto>([decoder]);
  let idsName = decoderInput;
  const cast = nodes.find((node) => node.opType === "Cast" && node.output?.[0] === decoderInput);
  const castInput = cast?.input?.[0];
  if (cast !== undefined && castInput !== undefined && consumers(nodes, decoderInput).length === 1) {
    removed.add(cast);
    idsName = castInput;
  }
  graph.node = nodes.filter((node) => !removed.has(node));
  if (graph.node.some((node) => usesDomain(node, CONTRIB_DOMAIN))) {
    throw unexpected(`nodes from ${CONTRIB_DOMAIN} remain after removing BpeDecoder`);
  }
  model.opsetImport = (model.opsetImport ?? []).filter((opset) => opset.domain !== CONTRIB_DOMAIN);

  // BeamSearch's `sequences`: int32 [batch, num_return_sequences, max_length].
  graph.output = [
    onnx.ValueInfoProto.create({
      name: idsName,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: ONNX_INT32,
          shape: onnx.TensorShapeProto.create({
            dim: ["batch_size", "num_return_sequences", "sequence_length"].map((dimParam) =>
              onnx.TensorShapeProto.Dimension.create({ dimParam }),
            ),
          }),
        }),
      }),
    }),
  ];
  const removedNames = new Set([...removed].flatMap((node) => node.output ?? []));
  graph.valueInfo = (graph.valueInfo ?? []).filter((info) => !removedNames.has(info.name ?? ""));
  return vocabulary;
}

function readVocabulary(decoder: onnxProto.onnx.INodeProto): WhisperVocabulary {
  const text = (name: string): string => {
    const bytes = decoder.attribute?.find((attribute) => attribute.name === name)?.s;
    if (bytes === null || bytes === undefined) throw unexpected(`BpeDecoder has no ${name} attribute`);
    return new TextDecoder().decode(bytes);
  };
  const idVocab = text("id_vocab").split("\n");
  const byteDecoder = tabSeparated(text("byte_decoder")).map(([char, byte]): [number, number] => [
    Number(char),
    Number(byte),
  ]);
  const addedTokens = tabSeparated(text("added_tokens")).map(([id, token]): [number, string] => [Number(id), token]);
  if (
    idVocab.length < 50_000 ||
    byteDecoder.length !== 256 ||
    addedTokens.length === 0 ||
    byteDecoder.some(([char, byte]) => !Number.isInteger(char) || !Number.isInteger(byte)) ||
    addedTokens.some(([id]) => !Number.isInteger(id))
  ) {
    throw unexpected("the BpeDecoder tokenizer attributes are not in the expected format");
  }
  const firstSpecialId = Math.min(...addedTokens.map(([id]) => id));
  return { format: 1, idVocab, byteDecoder, addedTokens, firstSpecialId };
}

function tabSeparated(text: string): [string, string][] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const tab = line.indexOf("\t");
      return [line.slice(0, tab), line.slice(tab + 1)];
    });
}

function consumers(nodes: onnxProto.onnx.INodeProto[], name: string): onnxProto.onnx.INodeProto[] {
  return nodes.filter((node) => node.input?.includes(name));
}

/** Whether the node or any subgraph in its attributes (BeamSearch holds encoder and decoder graphs) uses `domain`. */
function usesDomain(node: onnxProto.onnx.INodeProto, domain: string): boolean {
  if (node.domain === domain) return true;
  return (node.attribute ?? []).some((attribute) =>
    [attribute.g, ...(attribute.graphs ?? [])].some((subgraph) =>
      (subgraph?.node ?? []).some((inner) => usesDomain(inner, domain)),
    ),
  );
}

function unexpected(detail: string): InferenceError {
  return new InferenceError("model_unavailable", `unexpected Whisper model layout: ${detail}`);
}
