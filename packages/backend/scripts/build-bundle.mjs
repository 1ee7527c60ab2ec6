#!/usr/bin/env node
// Builds what the Dockerfile packages (Backstage's host build): every package of the
// repository, then packages/backend/dist/skeleton.tar.gz and bundle.tar.gz. The bundle holds the
// backend and the workspace packages it uses, built, including
// packages/backend/dist/instrumentation.cjs.js (src/instrumentation.ts, an entry point in
// package.json "exports"). Run from the repository root: `npm run build:backend`.
//
// backstage-cli's backend bundle copies the root yarn.lock into the bundle. This repository uses
// npm, and the Dockerfile installs from package-lock.json, so an empty yarn.lock stands in while
// the build runs and is removed afterwards.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
const yarnLock = join(root, 'yarn.lock');
const placeholder = !existsSync(yarnLock);
if (placeholder) {
  writeFileSync(yarnLock, '');
}
let status;
try {
  const cli = join(root, 'node_modules', '.bin', 'backstage-cli');
  status = spawnSync(cli, ['repo', 'build', '--all'], {
    cwd: root,
    stdio: 'inherit',
  }).status;
} finally {
  if (placeholder) {
    rmSync(yarnLock, { force: true });
  }
}
process.exit(status ?? 1);
