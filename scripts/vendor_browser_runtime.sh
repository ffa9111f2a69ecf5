#!/usr/bin/env bash
# Copy ONNX Runtime Web (WASM backend, single-threaded build loaded as an ES module) from
# node_modules/ into static/vendor/onnxruntime-web/, where the check-in page loads it from the
# app's own origin (never a CDN). Run after `npm ci`; ./run.sh does both.
set -euo pipefail
cd "$(dirname "$0")/.."

source_dir=node_modules/onnxruntime-web/dist
target=static/vendor/onnxruntime-web
if [ ! -d "$source_dir" ]; then
  echo "node_modules/onnxruntime-web is missing: run 'npm ci' first." >&2
  exit 1
fi
mkdir -p "$target"
for file in ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm; do
  cp "$source_dir/$file" "$target/$file"
done
cp node_modules/onnxruntime-web/LICENSE "$target/LICENSE" 2>/dev/null || true
version=$(node -p "require('./node_modules/onnxruntime-web/package.json').version")
echo "$version" > "$target/VERSION"
echo "ONNX Runtime Web $version -> $target/"
