# tench in a container: Node 20 on Debian bookworm, Debian's Chromium, the app built once here,
# the CLI as the entrypoint, run as an unprivileged user with its runs in a volume.
#
#   docker build -t tench .
#   docker run --rm -v "$PWD/out:/work/out" tench classify s3://anonymous@air-example-data-2/imagenette2/val/ --out out/ --shard 0/4
#
# Written for Docker/BuildKit; not built where tench is developed (those machines have no Docker
# engine). deploy/kubernetes/ runs it as an Indexed Job.
FROM node:20-bookworm-slim

# chromium: the browser the CLI drives (playwright-core downloads none). libvulkan1: the Vulkan
# loader, for WebGPU on a GPU node, where the NVIDIA container toolkit mounts the driver itself.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium libvulkan1 ca-certificates fonts-liberation \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, so a change to the sources does not download them again. .npmrc keeps
# onnxruntime-node from fetching CUDA binaries it does not need. The dev dependencies are test tools.
COPY package.json package-lock.json .npmrc ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev && npm cache clean --force

COPY . .
# Through ensureBuilt rather than `npx vite build`: it builds what the CLI serves and writes the
# stamp beside dist/ that tells the CLI the build is current, so nothing is rebuilt at run time
# (and /app is not writable then).
RUN node --import tsx --input-type=module \
      -e "const { ensureBuilt } = await import('./src/cli/build.ts'); await ensureBuilt(process.cwd(), console.log);" \
 && rm -rf .cache

ENV TENCH_BROWSER=/usr/bin/chromium \
    TENCH_STATE=/var/lib/tench
# The runs (a Chromium profile with IndexedDB): a volume, so --resume survives the container.
RUN mkdir -p /var/lib/tench /work && chown node:node /var/lib/tench /work
VOLUME /var/lib/tench

USER node
WORKDIR /work
ENTRYPOINT ["node", "/app/bin/tench.js"]
CMD ["--help"]
