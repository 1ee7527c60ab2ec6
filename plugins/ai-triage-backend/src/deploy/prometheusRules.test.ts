import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_SLO } from '../config';
import { readKustomization } from '../__testUtils__/k8sManifests';

const repoRoot = resolve(__dirname, '../../../..');
const rulesDir = join(repoRoot, 'k8s/prometheus');
const rulesFile = join(rulesDir, 'ai-triage.rules.yaml');

/** Debian's promtool; CI installs the prometheus package, elsewhere the tests say they skip. */
function promtool(): string | undefined {
  const path = '/usr/bin/promtool';
  if (existsSync(path)) {
    return path;
  }
  if (process.env.CI) {
    throw new Error(`${path} is missing: CI installs the prometheus package`);
  }
  // eslint-disable-next-line no-console
  console.warn('promtool not installed: SLO rule tests skipped');
  return undefined;
}

const tool = promtool();

function run(args: string[]) {
  return spawnSync(tool!, args, { cwd: rulesDir, encoding: 'utf8' });
}

describe('SLO rules', () => {
  it('pass promtool check rules', () => {
    if (!tool) return;
    const result = run(['check', 'rules', 'ai-triage.rules.yaml']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('SUCCESS: 26 rules found');
    expect(result.status).toBe(0);
  });

  it('pass promtool test rules, which fire the burn-rate alerts', () => {
    if (!tool) return;
    const result = run(['test', 'rules', 'ai-triage.rules.test.yaml']);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
    // The test file expects the fast and slow burn of the latency SLO and the fast burn of
    // intake availability to fire (and a healthy pipeline to fire none).
    const tests = readFileSync(
      join(rulesDir, 'ai-triage.rules.test.yaml'),
      'utf8',
    );
    for (const alert of [
      'AiTriageTriageLatencyBudgetBurn',
      'AiTriageTriageLatencyBudgetBurnSlow',
      'AiTriageIntakeAvailabilityBudgetBurn',
    ]) {
      expect(tests).toContain(
        `alertname: ${alert}\n        exp_alerts:\n          - exp_labels:`,
      );
    }
  });

  it('are the PrometheusRule of the kustomize base, group for group', () => {
    const plain = parse(readFileSync(rulesFile, 'utf8'));
    const [rule] = readKustomization(join(repoRoot, 'k8s/base')).filter(
      o => o.kind === 'PrometheusRule',
    );
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.namespace).toBe('ai-triage');
    expect(rule.spec).toEqual(plain);
  });

  it('use the SLO defaults of the plugin config', () => {
    const rules = readFileSync(rulesFile, 'utf8');
    const budget = (objective: number) =>
      String(Number((1 - objective).toPrecision(6)));
    expect(rules).toContain(`le="${DEFAULT_SLO.heuristicTriageSeconds}"`);
    expect(rules).toContain(`le="${DEFAULT_SLO.llmTriageSeconds}"`);
    expect(rules).toContain(
      `ai_triage:triage_slo_errors:ratio_rate1h > (14.4 * ${budget(
        DEFAULT_SLO.triageObjective,
      )})`,
    );
    expect(rules).toContain(
      `ai_triage:intake_slo_errors:ratio_rate1h > (14.4 * ${budget(
        DEFAULT_SLO.intakeAvailability,
      )})`,
    );
  });
});
