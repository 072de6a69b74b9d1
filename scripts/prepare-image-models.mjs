// The Dockerfile's runtime stage: writes the model files a pool prepares on first load into MODELS_DIR, from the
// built dist/ and the stage's own production node_modules (no tsx), so no container prepares them at its start.
// Run here, against the packages this stage installed, so the files are exactly the ones its pools look for (a prepared
// Whisper graph is named after its package's name, version and size). `npm run models:prepare` (build stage) proves
// the models run.
//   MODELS_DIR=/app/models node scripts/prepare-image-models.mjs
import { createLogger } from "../dist/logger.js";
import { prepareBatchedBlazeFace } from "../dist/inference/models/blazeface-graph.js";
import { createWhisperPreparer } from "../dist/inference/models/whisper-prepare.js";

const modelsDir = process.env.MODELS_DIR;
if (!modelsDir) {
  process.stderr.write("prepare-image-models: set MODELS_DIR\n");
  process.exit(2);
}
const logger = createLogger(process.env.LOG_LEVEL ?? "info");
const whisper = await createWhisperPreparer().prepare({ modelsDir, logger });
const blazeface = await prepareBatchedBlazeFace(modelsDir);
process.stdout.write(`${JSON.stringify({ whisper_model: whisper.modelPath, whisper_vocabulary: whisper.vocabularyPath, blazeface_batched: blazeface })}\n`);
