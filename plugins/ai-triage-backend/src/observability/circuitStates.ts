import { CircuitState } from 'cockatiel';

/** Names of the breaker states, as the `ai_triage.reasoner.circuit_state` gauge reports them. */
export const CIRCUIT_STATE_NAMES: Record<CircuitState, string> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};
