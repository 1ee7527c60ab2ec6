export { SeverityChip } from './SeverityChip';
export {
  TRIAGE_STATE_LABELS,
  TriageStateLabel,
  isTriageRunning,
} from './TriageStateLabel';
