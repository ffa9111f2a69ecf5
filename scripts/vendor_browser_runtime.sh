#!/usr/bin/env bash
# Copy ONNX Runtime Web (WASM backend, loaded as an ES module) from node_modules/ into
# static/vendor/onnxruntime-web/VERSION/, where the check-in page loads it from the app's own
# origin (never a CDN). The version in the path lets browsers cache the 15 MB of WebAssembly
# for good (settings.WHITENOISE_IMMUTABLE_FILE_TEST). Run after `npm ci`; ./run.sh does both.
set -euo pipefail
cd "$(dirname "$0")/.."

source_dir=node_modules/onnxruntime-web/dist
if [ ! -d "$source_dir" ]; then
  echo "node_modules/onnxruntime-web is missing: run 'npm ci' first." >&2
  exit 1
fi
version=$(node -p "require('./node_modules/onnxruntime-web/package.json').version")
target=static/vendor/onnxruntime-web/$version
rm -rf static/vendor/onnxruntime-web
mkdir -p "$target"
for file in ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm; do
  cp "$source_dir/$file" "$target/$file"
done
echo "onnxruntime-web $version, MIT licence (https://github.com/microsoft/onnxruntime)" \
  > "$target/VERSION"
echo "ONNX Runtime Web $version -> $target/"
