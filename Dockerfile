# The image `sortscope study jobs` writes its Kubernetes files for (the cache server, the shards and
# the report): the repository at /work with node_modules installed, run as `node` (uid 1000).
# UNTESTED: Docker was not available where it was written (the Slurm files were run for real:
# scripts/slurm-local.sh; the Kubernetes files are checked against the API's schemas in
# packages/workspace/src/k8s-jobs.test.ts). Push it to a registry the cluster pulls from:
#
#   docker build -t registry.example.org/lab/sortscope:1 .
#   docker push registry.example.org/lab/sortscope:1
#   npx sortscope study jobs --study full --shards 16 --image registry.example.org/lab/sortscope:1
#
# Node 22 (Node 20 reached its end of life on 2026-04-30; sortscope needs >= 20).
FROM node:22-bookworm-slim

# the training engine's prebuilt wasm is in the repository (packages/engine/src/fused/engine.wasm);
# tfjs-node (optional, native, downloads libtensorflow in an install script) is not set up, so tfjs
# falls back to its wasm backend by itself. SORTSCOPE_BACKEND is not set here: it is an input of
# the Nx tasks' hashes, and setting it would keep the image's results apart from a checkout's in a
# shared cache, though they are the same bytes.
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0

WORKDIR /work
RUN chown node:node /work
USER node

# dependencies first (a layer that survives source edits); --ignore-scripts: the only install
# script the project allows is tfjs-node's download, which the wasm backend does not need
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node packages/cache-server/package.json packages/cache-server/
COPY --chown=node:node packages/circuits/package.json packages/circuits/
COPY --chown=node:node packages/cli/package.json packages/cli/
COPY --chown=node:node packages/core/package.json packages/core/
COPY --chown=node:node packages/dataset/package.json packages/dataset/
COPY --chown=node:node packages/engine/package.json packages/engine/
COPY --chown=node:node packages/findings/package.json packages/findings/
COPY --chown=node:node packages/llc/package.json packages/llc/
COPY --chown=node:node packages/model/package.json packages/model/
COPY --chown=node:node packages/report/package.json packages/report/
COPY --chown=node:node packages/train/package.json packages/train/
COPY --chown=node:node packages/workspace/package.json packages/workspace/
RUN npm ci --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY --chown=node:node . .
RUN node bin/sortscope.mjs --help >/dev/null

CMD ["node", "bin/sortscope.mjs", "--help"]
