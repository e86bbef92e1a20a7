# syntax=docker/dockerfile:1
#
# One image for every Modelyard process; the command chooses which one runs:
#   docker build -t modelyard:local .
#   docker run --rm -p 8080:8080 -v modelyard-data:/app/data modelyard:local      # standalone (the default)
#   docker run ... modelyard:local node services/registry/dist/main.js             # one service of the distributed mode
# docker-compose.yml and deploy/k8s/ run it that way; e2e/src/deployment-descriptions.spec.ts checks they agree.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: install everything, compile the TypeScript, then drop the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node would download GPU binaries in its install script; the image runs on CPU.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# The manifests alone first, so `npm ci` stays cached until a dependency changes. Every npm
# workspace (libs/*, services/*) must be listed here, or `npm ci` does not link it; the
# deployment-descriptions test fails when one is missing.
COPY package.json package-lock.json ./
COPY libs/contracts/package.json libs/contracts/
COPY libs/platform/package.json libs/platform/
COPY libs/model-formats/package.json libs/model-formats/
COPY libs/providers/package.json libs/providers/
COPY libs/testing/package.json libs/testing/
COPY services/gateway/package.json services/gateway/
COPY services/registry/package.json services/registry/
COPY services/ingest/package.json services/ingest/
COPY services/inference/package.json services/inference/
COPY services/metrics/package.json services/metrics/
COPY services/standalone/package.json services/standalone/
COPY web/package.json web/
RUN --mount=type=cache,target=/root/.npm npm ci

COPY tsconfig.base.json tsconfig.build.json ./
COPY libs/ libs/
COPY services/ services/
COPY web/ web/
# The services, then the web console (Vite) into web/dist, which the gateway serves at /.
RUN npm run build

# `npm prune` keeps the workspace links (node_modules/@modelyard/* -> ../../libs|services/*) and
# removes the dev dependencies; then the TypeScript sources go, only dist/ is run.
RUN npm prune --omit=dev \
 && rm -rf libs/*/src services/*/src libs/*/dist/.tsbuildinfo services/*/dist/.tsbuildinfo \
 && test -L node_modules/@modelyard/platform && test -f services/gateway/dist/main.js && test -f web/dist/index.html

# ---------------------------------------------------------------------------------------------
# runtime: the compiled services and production node_modules, owned by root, run as `node`.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/libs ./libs
COPY --from=build /app/services ./services
# Only the built console: its sources and build tools (dev dependencies) stay in the build stage.
COPY --from=build /app/web/package.json ./web/package.json
COPY --from=build /app/web/dist ./web/dist
# The only writable folder: the standalone database and the local-disk blob store (MODELYARD_DATA_DIR
# defaults to ./data). Mount a volume here to keep it.
RUN mkdir -p /app/data && chown 1000:1000 /app/data
# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# gateway/standalone HTTP, registry RPC, health ports of registry, ingest, inference, metrics
EXPOSE 8080 4001 8081 8082 8083 8084
CMD ["node", "services/standalone/dist/main.js"]
