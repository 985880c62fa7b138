# syntax=docker/dockerfile:1
# tench in a container: the app built in a first stage with the development dependencies, then a
# runtime of a current Node LTS on Debian slim with Debian's Chromium, the production
# dependencies only, tini as PID 1 and the unprivileged `node` user.
#
#   docker build -t tench .
#   docker run --rm -v "$PWD/out:/work/out" tench classify s3://anonymous@air-example-data-2/imagenette2/val/ --out out/ --shard 0/4
#
# A model folder (the Hub's layout: config.json, preprocessor_config.json, onnx/) can be baked in,
# so that no pod downloads it:
#
#   docker build --build-arg MODEL_DIR=models/vit-base-patch16-224 --build-arg TENCH_MODEL=/opt/tench/model -t tench:vit .
#
# Written for Docker/BuildKit; not built where tench is developed (those machines have no
# container engine); `npm test` lints it (test/unit/deploy.test.ts). deploy/kubernetes/ runs it as
# an Indexed Job.
ARG NODE_IMAGE=node:24-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first, so a change to the sources does not download them again. .npmrc keeps every
# dependency's install script from running (onnxruntime-node's would fetch CUDA libraries).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
# Builds dist/ and stamps it with its sources' digest, so the runtime never builds (and /app is
# not writable there).
RUN node bin/tench.js build

FROM ${NODE_IMAGE}
# chromium: the browser the CLI drives (playwright-core downloads none). libvulkan1: the Vulkan
# loader, for WebGPU on a GPU node, where the NVIDIA container toolkit mounts the driver itself.
# tini: PID 1, so Chromium's exited children are reaped and SIGTERM reaches the CLI.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium libvulkan1 ca-certificates fonts-liberation tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# What `tench classify` runs: no build tools, no browser-side libraries (they are in dist/), no
# onnxruntime-node or sharp (see the README's install figures).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/bin ./bin
COPY --from=build /src/src ./src
COPY --from=build /src/workers ./workers
COPY --from=build /src/public ./public
COPY --from=build /src/index.html /src/vite.config.ts ./
COPY --from=build /src/dist ./dist

# The model baked in, when MODEL_DIR names a folder of the build context; the default is a folder
# that only says none was. --model defaults to $TENCH_MODEL.
ARG MODEL_DIR=deploy/no-model
ARG TENCH_MODEL=google/vit-base-patch16-224
COPY ${MODEL_DIR}/ /opt/tench/model/

ENV TENCH_BROWSER=/usr/bin/chromium \
    TENCH_STATE=/var/lib/tench \
    TENCH_MODEL=${TENCH_MODEL} \
    NODE_ENV=production
# The runs (a Chromium profile with IndexedDB): a volume, so --resume survives the container.
RUN mkdir -p /var/lib/tench /work && chown node:node /var/lib/tench /work
VOLUME /var/lib/tench

USER node
WORKDIR /work
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/tench.js"]
CMD ["--help"]
