# qcs-export as a container: the single-file bundle (`pnpm bundle`, dist/qcs-export.mjs) on a small Node 24 image.
#
#   docker build -t qcs-export .
#   docker run --rm --read-only --tmpfs /tmp \
#     -v "$PWD/qcs-export.yaml:/config/qcs-export.yaml:ro" -v "$PWD/secrets:/secrets:ro" -v qcs-export-data:/data qcs-export
#
# The config reads credentials from files (`${file:/secrets/password}`) and writes its outputs under /data, which is
# also the working directory: a relative output path (`out/images.csv`) lands in the volume. The root filesystem can
# be read-only: outputs are written under a temporary name next to their final path (so in /data), and only the Excel
# sink's findings spool uses TMPDIR (/tmp), which must then be a writable mount (a tmpfs, an emptyDir).
# examples/kubernetes/ runs the same image as a CronJob.
#
# Node 24 is the active LTS (Node 20 reached its end of life in April 2026). The base images are tags here; to pin
# them by digest, so that a rebuild takes the same bytes, look the digests up and pass them (or edit the defaults):
#   docker buildx imagetools inspect node:24-alpine           # the "Digest:" line: sha256:…
#   docker build --build-arg RUNTIME_IMAGE=node:24-alpine@sha256:… --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:… .

ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=node:24-alpine

# --- build: install from the lockfile, build, bundle ---
FROM ${NODE_IMAGE} AS build
ENV CI=true COREPACK_ENABLE_DOWNLOAD_PROMPT=0 TURBO_TELEMETRY_DISABLED=1
WORKDIR /src
RUN corepack enable
# The dependencies first, from the lockfile alone, so that a change of source does not download them again.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile && pnpm bundle && node dist/qcs-export.mjs --version

# --- runtime: Node and one file ---
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="qcs-export" \
      org.opencontainers.image.description="Exports Qualys Container Security images to JSON Lines, CSV, Excel and Elasticsearch."
# The bundle needs node alone: npm, npx, corepack and yarn are removed, so that the image carries no package manager
# a scanner reports or an intruder uses. (Their files stay in the base layers; they are gone from the filesystem.)
# A numeric, non-root user (no entry in /etc/passwd is needed), so Kubernetes' runAsNonRoot can check it.
# /data is its own, so a named volume mounted there starts writable by it.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
  && mkdir -p /app /config /secrets /data && chown 10001:10001 /data
COPY --from=build /src/dist/qcs-export.mjs /app/qcs-export.mjs
# No heap flag in NODE_OPTIONS: `run` sizes V8's heap from the container's memory limit itself (heap-limit.ts),
# and any heap flag given here would turn that off.
ENV TMPDIR=/tmp
# Every command finds the mounted config without -c (`docker run … qcs-export validate`); a -c still wins.
ENV QCS_EXPORT_CONFIG=/config/qcs-export.yaml
USER 10001:10001
# The working directory is the data volume, the one writable place under --read-only: relative paths in a config
# (the examples write `out/…`, `evidence/…`, `state/…`) resolve into it.
WORKDIR /data
# Core dumps off before Node starts: a dump of this process holds the Qualys and Elasticsearch credentials in memory.
# Kubernetes has no ulimit setting, so the image sets it itself; exec leaves node as the process that gets signals.
ENTRYPOINT ["/bin/sh", "-c", "ulimit -c 0 && exec node /app/qcs-export.mjs \"$@\"", "qcs-export"]
CMD ["run"]
