import { TriageCase } from '@ai-triage/plugin-ai-triage-common';
import { IncidentStore } from '../database/IncidentStore';
import { TriageStore } from '../database/TriageStore';
import { CaseOutcome } from './metrics';

/** What `--record` did with each outcome. */
export type RecordSummary = {
  /** Replay runs stored, with their ids. */
  recorded: Array<{ caseId: string; incidentId: string; runId: string }>;
  /** Cases not stored, each with the reason (no stored incident, the reasoner failed). */
  skipped: Array<{ caseId: string; reason: string }>;
};

/**
 * Stores replayed answers as new triage runs with purpose `replay` (`npm run replay --
 * --record`), against the incident and context each case was exported from. The incident's
 * live runs, hypotheses, reviews and triage state stay as they are; its view keeps showing its
 * latest live run.
 */
export class ReplayRecorder {
  constructor(
    private readonly stores: {
      triage: TriageStore;
      incidents: Pick<IncidentStore, 'getIncident'>;
    },
  ) {}

  async record(
    source: { reasoner: string; model?: string; promptVersion?: string },
    cases: TriageCase[],
    outcomes: CaseOutcome[],
  ): Promise<RecordSummary> {
    const summary: RecordSummary = { recorded: [], skipped: [] };
    const byId = new Map(cases.map(c => [c.id, c]));
    for (const outcome of outcomes) {
      const c = byId.get(outcome.caseId);
      const skip = (reason: string) =>
        summary.skipped.push({ caseId: outcome.caseId, reason });
      if (outcome.error !== undefined) {
        skip(`the reasoner failed: ${outcome.error}`);
        continue;
      }
      if (!c?.incidentId) {
        skip('the case names no stored incident');
        continue;
      }
      if (!(await this.stores.incidents.getIncident(c.incidentId))) {
        skip(`incident ${c.incidentId} is not in this database`);
        continue;
      }
      const contextId =
        c.contextId ??
        (await this.stores.triage.getLatestContext(c.incidentId))?.id;
      if (!contextId) {
        skip(`incident ${c.incidentId} has no stored context`);
        continue;
      }
      const run = await this.stores.triage.saveTriageRun({
        incidentId: c.incidentId,
        contextId,
        reasoner: source.reasoner,
        model: source.model,
        promptVersion: source.promptVersion,
        purpose: 'replay',
        latencyMs: outcome.latencyMs,
        result: {
          insufficientEvidence: outcome.insufficientEvidence,
          hypotheses: outcome.hypotheses,
        },
      });
      summary.recorded.push({
        caseId: outcome.caseId,
        incidentId: c.incidentId,
        runId: run.id,
      });
    }
    return summary;
  }
}
