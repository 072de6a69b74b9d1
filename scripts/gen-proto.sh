#!/usr/bin/env bash
# Regenerates the TypeScript types of proto/*.proto (committed under src/inference/grpc/generated).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf src/inference/grpc/generated
npx proto-loader-gen-types --longs=Number --enums=String --defaults --oneofs --keepCase \
  --grpcLib=@grpc/grpc-js --outDir=src/inference/grpc/generated --targetFileExtension=.ts --importFileExtension=.js \
  proto/inference.proto
