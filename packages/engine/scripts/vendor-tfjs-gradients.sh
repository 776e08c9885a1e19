#!/bin/sh
# Rebuild packages/engine/vendor/tfjs-gradients.cjs: tfjs-core's gradient registrations
# (dist/register_all_gradients.js, ESM for bundlers, which Node cannot load) bundled by esbuild
# into one CommonJS file that Node can. Run it after upgrading @tensorflow/tfjs-core; the test
# src/tfjs/gradients.test.ts fails while the bundle names another tfjs-core version.
set -eu
cd "$(dirname "$0")/.."
root=../..
version=$(node -p "require('$root/node_modules/@tensorflow/tfjs-core/package.json').version")
entry=$(mktemp "$root/.vendor-entry-XXXXXX.js")
trap 'rm -f "$entry"' EXIT
echo "import '@tensorflow/tfjs-core/dist/register_all_gradients';" > "$entry"
"$root/node_modules/.bin/esbuild" "$entry" --bundle --platform=node --format=cjs --log-level=warning \
  --banner:js="/* @tensorflow/tfjs-core $version gradients (dist/register_all_gradients.js), bundled by esbuild for Node. Apache-2.0, Copyright Google LLC. Rebuild: packages/engine/scripts/vendor-tfjs-gradients.sh */" \
  --outfile=vendor/tfjs-gradients.cjs
echo "vendor/tfjs-gradients.cjs: tfjs-core $version, $(wc -c < vendor/tfjs-gradients.cjs) bytes"
