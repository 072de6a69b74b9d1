# syntax=docker/dockerfile:1
# One image for both processes of a deployment (see compose.yaml and deploy/README.md):
#   engine (default):  node dist/main.js            REST, WebSocket, pages on PORT (2567)
#   pool worker:       node dist/inference-main.js  gRPC on INFERENCE_PORT (50051); set INFERENCE_HOST=0.0.0.0
# Debian, not Alpine: onnxruntime-node's prebuilt binaries link against glibc.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: dev dependencies, TypeScript, the browser bundle, the models proven to load and run -------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# .npmrc sets ignore-scripts=true: no dependency needs an install script (see the runtime stage for CUDA).
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY drizzle ./drizzle
COPY src ./src
COPY web ./web
COPY scripts ./scripts
RUN npm run build
# Whisper prepared, then Whisper and Silero VAD run once: a package that cannot run here fails the build, not a start.
RUN MODELS_DIR=/tmp/models-check npm run models:prepare

# ---- runtime: production dependencies and built output only, as the unprivileged `node` user ----------------------
FROM ${NODE_IMAGE} AS runtime
# Empty: the CPU build onnxruntime-node ships. `cuda12` (deploy/compose.gpu.yaml): its install script fetches the CUDA
# provider (network needed); NODE_IMAGE must then carry CUDA 12 and cuDNN 9 (see deploy/README.md, GPU pool workers).
ARG ONNXRUNTIME_NODE_INSTALL=""
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=2567 \
    DATA_DIR=/app/data \
    MODELS_DIR=/app/models
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev \
 && if [ -n "$ONNXRUNTIME_NODE_INSTALL" ]; then ONNXRUNTIME_NODE_INSTALL="$ONNXRUNTIME_NODE_INSTALL" npm rebuild onnxruntime-node --ignore-scripts=false; fi \
 && npm cache clean --force
# dist/ finds drizzle/ (migrations), proto/ and web/dist/ beside it, as in the repository.
COPY drizzle ./drizzle
COPY proto ./proto
COPY scripts/healthcheck.mjs scripts/prepare-image-models.mjs ./scripts/
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
# The models prepared at build time, against this stage's own node_modules (prepare-image-models.mjs says why), and
# owned by `node`: a model file a later release prepares on first load goes beside them.
RUN node scripts/prepare-image-models.mjs \
 && mkdir -p /app/data \
 && chown -R node:node /app/models /app/data
USER node
EXPOSE 2567 50051
# The engine's probe; compose gives pool workers `node scripts/healthcheck.mjs pool` instead.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "scripts/healthcheck.mjs", "engine"]
CMD ["node", "dist/main.js"]
