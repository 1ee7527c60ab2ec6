import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

const scenariosDir = path.resolve(
  resolvePackagePath('@ai-triage/plugin-ai-triage-backend'),
  '../../examples/scenarios',
);

export type Scenario = {
  scenario: Record<string, any>;
  alert: Record<string, any>;
  telemetry: { traces: unknown; metrics: unknown; logs: unknown };
};

/**
 * Loads an example scenario as `npm run demo` sends it: its alert and the OTLP telemetry its
 * generator makes for `nowMs` (the generator is an ES module, so a child Node runs it).
 */
export function loadScenario(name: string, nowMs: number): Scenario {
  const dir = path.join(scenariosDir, name);
  const script = `import(${JSON.stringify(path.join(dir, 'telemetry.mjs'))})
    .then(m => process.stdout.write(JSON.stringify(m.generateTelemetry({ nowMs: ${nowMs} }))))`;
  const telemetry = JSON.parse(
    execFileSync(process.execPath, ['-e', script], {
      maxBuffer: 64 * 1024 * 1024,
    }).toString(),
  );
  return {
    scenario: JSON.parse(
      fs.readFileSync(path.join(dir, 'scenario.json'), 'utf8'),
    ),
    alert: JSON.parse(fs.readFileSync(path.join(dir, 'alert.json'), 'utf8')),
    telemetry,
  };
}
