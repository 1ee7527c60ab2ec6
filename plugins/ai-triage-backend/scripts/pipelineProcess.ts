import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../../..');

/**
 * The lean pipeline backend (packages/backend/src/pipeline.ts, as the k8s worker Deployments
 * run it) in its own process with the given config file; resolves once its readiness check
 * answers on `port`. Used by the benchmarks that run real backend processes.
 */
export async function startPipelineProcess(options: {
  configFile: string;
  port: number;
  /** Names the process in errors. */
  name: string;
  readyTimeoutMs: number;
  stderr: 'ignore' | 'inherit';
}): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      join(repoRoot, 'packages/backend/src/pipeline.ts'),
      '--config',
      options.configFile,
    ],
    {
      cwd: join(repoRoot, 'packages/backend'),
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', options.stderr],
    },
  );
  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${options.name} exited with ${child.exitCode}`);
    }
    const res = await fetch(
      `http://127.0.0.1:${options.port}/.backstage/health/v1/readiness`,
    ).catch(() => undefined);
    if (res?.ok) return child;
    if (Date.now() > deadline) throw new Error(`${options.name} not ready`);
    await new Promise(done => setTimeout(done, 250));
  }
}
