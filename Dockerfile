# Backend image (Backstage's "host build" approach: https://backstage.io/docs/deployment/docker).
# The build runs on the host or CI runner; this file only packages its output. Build first:
#
#   npm ci
#   npx tsc
#   npm run build:backend        # writes packages/backend/dist/{skeleton,bundle}.tar.gz
#   docker image build . -t ai-triage-backstage:dev
#
# The k8s/ Deployments run this image (k8s/README.md). Not built in this repository's CI, which
# has no Docker engine.
FROM node:22-bookworm-slim

# Build tools for native modules (better-sqlite3 is compiled when no prebuilt binary fits).
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && \
    apt-get install -y --no-install-recommends python3 g++ build-essential libsqlite3-dev && \
    rm -rf /var/lib/apt/lists/*

# From here on we use the least-privileged `node` user to run the backend.
USER node
WORKDIR /app
# production: packages/backend installs OpenID Connect sign-in and the ai-triage ownership
# permission policy (guest sign-in and allow-all are for NODE_ENV=development only); configure
# auth.providers.oidc and aiTriage.permissions.admins (k8s/base/app-config.production.yaml).
ENV NODE_ENV=production

# The skeleton holds the package.json of the backend and of each workspace package it uses, so
# the dependency layer is cached until one of them or the lockfile changes.
COPY --chown=node:node package.json package-lock.json .npmrc ./
COPY --chown=node:node packages/backend/dist/skeleton.tar.gz ./
RUN tar xzf skeleton.tar.gz && rm skeleton.tar.gz

RUN --mount=type=cache,target=/home/node/.npm,sharing=locked,uid=1000,gid=1000 \
    npm ci --omit=dev --no-audit --no-fund

# The bundle: the backend and its workspace packages, built (including
# packages/backend/dist/instrumentation.cjs.js, the compiled src/instrumentation.ts).
COPY --chown=node:node packages/backend/dist/bundle.tar.gz app-config.yaml ./
RUN tar xzf bundle.tar.gz && rm bundle.tar.gz

# OpenTelemetry starts before the backend and serves Prometheus metrics on :9464/metrics.
EXPOSE 7007 9464
CMD ["node", "--require", "./packages/backend/dist/instrumentation.cjs.js", "packages/backend", "--config", "app-config.yaml"]
