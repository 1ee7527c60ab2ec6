import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import { TriageState } from '@ai-triage/plugin-ai-triage-common';

/** @internal */
export const TRIAGE_STATE_LABELS: Record<TriageState, string> = {
  pending: 'Queued',
  enriching: 'Collecting telemetry',
  reasoning: 'Reasoning',
  triaged: 'Triaged',
  failed: 'Failed',
};

/** Whether the pipeline is still working on the incident. @internal */
export function isTriageRunning(state: TriageState): boolean {
  return state !== 'triaged' && state !== 'failed';
}

/** @internal */
export function TriageStateLabel(props: { state: TriageState }) {
  const label = TRIAGE_STATE_LABELS[props.state];
  switch (props.state) {
    case 'triaged':
      return <StatusOK>{label}</StatusOK>;
    case 'failed':
      return <StatusError>{label}</StatusError>;
    case 'pending':
      return <StatusPending>{label}</StatusPending>;
    default:
      return <StatusRunning>{label}</StatusRunning>;
  }
}
