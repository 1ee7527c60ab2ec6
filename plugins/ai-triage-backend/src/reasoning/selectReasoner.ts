import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { Reasoner } from '@ai-triage/plugin-ai-triage-node';
import { LlmCallAuditLog } from '../database/TriageStore';
import { HeuristicReasoner } from './heuristic/HeuristicReasoner';
import { OpenAIReasoner } from './llm/OpenAIReasoner';
import { createOpenAIClient, readLlmConfig } from './llm/readLlmConfig';
import { PROMPT_VERSION } from './llm/triagePrompt';

/** The reasoners of the `reason` stage, as {@link selectReasoner} picked them. */
export type SelectedReasoner = {
  /** What answers first. */
  reasoner: Reasoner;
  /** What answers when `reasoner` fails: the heuristic reasoner (the same one when it is first). */
  fallback: Reasoner;
  /** The LLM reasoner when one is configured, for its circuit breaker's health check. */
  llm?: OpenAIReasoner;
  /** Which kind answers first, as the pipeline's metrics label it. */
  kind: 'custom' | 'llm' | 'heuristic';
  /** Reasoner, and for an LLM its model and prompt version, as reports label it. */
  label: string;
};

/**
 * Picks the reasoner, the one place that does: a custom reasoner (the extension point's) when
 * given, else the LLM reasoner when `aiTriage.reasoning.llm` is configured, else the heuristic
 * one; the heuristic reasoner is always the fallback. `use` forces a kind (the replay's
 * `--reasoner`); `wrap` wraps the built-in reasoners (calibration).
 */
export function selectReasoner(options: {
  config: Config;
  /** Where the LLM reasoner records its calls. */
  audit: LlmCallAuditLog;
  logger?: LoggerService;
  custom?: Reasoner;
  use?: 'configured' | 'heuristic' | 'llm';
  wrap?: (reasoner: Reasoner) => Reasoner;
}): SelectedReasoner {
  const use = options.use ?? 'configured';
  const wrap = options.wrap ?? (reasoner => reasoner);
  const heuristic = wrap(new HeuristicReasoner());
  const settings =
    use === 'heuristic' ? undefined : readLlmConfig(options.config);
  if (use === 'llm' && !settings) {
    throw new InputError(
      'the LLM reasoner needs aiTriage.reasoning.llm (baseUrl, model)',
    );
  }
  const llm =
    settings &&
    OpenAIReasoner.create({
      client: createOpenAIClient(settings),
      settings,
      audit: options.audit,
      logger: options.logger,
    });
  if (options.custom && use === 'configured') {
    return {
      reasoner: options.custom,
      fallback: heuristic,
      llm,
      kind: 'custom',
      label: options.custom.name,
    };
  }
  if (llm) {
    return {
      reasoner: wrap(llm),
      fallback: heuristic,
      llm,
      kind: 'llm',
      label: `llm ${settings.model} (${PROMPT_VERSION})`,
    };
  }
  return {
    reasoner: heuristic,
    fallback: heuristic,
    kind: 'heuristic',
    label: 'heuristic',
  };
}
