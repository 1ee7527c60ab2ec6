import fs from 'node:fs';
import path from 'node:path';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  TriageCase,
  triageCaseSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { Reasoner } from '@ai-triage/plugin-ai-triage-node';
import {
  LlmCallAuditLog,
  LlmCallRecord,
  StoredLlmCall,
} from '../database/TriageStore';
import { groundHypotheses } from '../reasoning/groundHypotheses';
import { readLlmConfig } from '../reasoning/llm/readLlmConfig';
import { selectReasoner } from '../reasoning/selectReasoner';
import { CalibratedReasoner, CalibrationSource } from './calibration';
import { CaseOutcome } from './metrics';

/** Reads every `*.json` case in a folder (sorted by name); a bad file names itself. */
export function readCaseFolder(dir: string): TriageCase[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new InputError(`No case folder at ${dir}`);
  }
  return fs
    .readdirSync(dir)
    .filter(name => name.endsWith('.json'))
    .sort()
    .map(name =>
      parseCase(fs.readFileSync(path.join(dir, name), 'utf8'), name),
    );
}

/** Parses one case file, naming the file and the first problem when it is not a valid case. */
function parseCase(text: string, name: string): TriageCase {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${name} is not JSON: ${(error as Error).message}`);
  }
  const parsed = triageCaseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `${name} is not a valid case (version ${
        (json as any)?.version ?? 'missing'
      }): ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/** Sums the tokens of the LLM calls audited since the last `take()`; stores nothing. */
class TokenTally implements LlmCallAuditLog {
  private tokensIn = 0;
  private tokensOut = 0;
  private calls = 0;

  async saveLlmCall(record: LlmCallRecord): Promise<StoredLlmCall> {
    this.calls += 1;
    this.tokensIn += record.promptTokens ?? 0;
    this.tokensOut += record.completionTokens ?? 0;
    return {
      ...record,
      id: `replay-${this.calls}`,
      createdAt: new Date().toISOString(),
    };
  }

  take(): { tokensIn: number | null; tokensOut: number | null } {
    const taken =
      this.calls === 0
        ? { tokensIn: null, tokensOut: null }
        : { tokensIn: this.tokensIn, tokensOut: this.tokensOut };
    this.tokensIn = 0;
    this.tokensOut = 0;
    this.calls = 0;
    return taken;
  }
}

/**
 * Re-reasons cases with one reasoner, picked and built by the plugin's own `selectReasoner`
 * (HeuristicReasoner; OpenAIReasoner from `aiTriage.reasoning.llm` with its client, prompt,
 * structured output and repair; calibration when given; then the same grounding as the
 * `reason` stage). Nothing is stored: the LLM calls' audit records only feed the token counts
 * (ReplayRecorder stores the answers when asked to).
 */
export class CaseReplayer {
  static create(options: {
    reasoner: 'heuristic' | 'llm';
    config: Config;
    /** Calibration bins to map probabilities through, as the plugin does. */
    calibration?: { source: CalibrationSource; minReviews: number };
  }): CaseReplayer {
    const tally = new TokenTally();
    if (options.reasoner === 'llm' && !readLlmConfig(options.config)) {
      throw new InputError(
        '--reasoner llm needs aiTriage.reasoning.llm (baseUrl, model) in the --config file',
      );
    }
    const calibration = options.calibration;
    const selected = selectReasoner({
      config: options.config,
      audit: tally,
      use: options.reasoner,
      wrap: calibration
        ? reasoner =>
            new CalibratedReasoner(reasoner, calibration.source, {
              minReviews: calibration.minReviews,
            })
        : undefined,
    });
    return new CaseReplayer(selected.reasoner, selected.label, tally);
  }

  private constructor(
    private readonly reasoner: Reasoner,
    /** Reasoner, model and prompt version, as the report's row label. */
    readonly label: string,
    private readonly tally: TokenTally,
  ) {}

  /** What answers: the reasoner's name, and its model and prompt version (LLM only). */
  get source(): { reasoner: string; model?: string; promptVersion?: string } {
    return {
      reasoner: this.reasoner.name,
      model: this.reasoner.model,
      promptVersion: this.reasoner.promptVersion,
    };
  }

  async replay(cases: TriageCase[]): Promise<CaseOutcome[]> {
    const outcomes: CaseOutcome[] = [];
    for (const c of cases) {
      const started = performance.now();
      try {
        const result = groundHypotheses(
          await this.reasoner.reason(c.context),
          c.context,
        );
        outcomes.push({
          caseId: c.id,
          truth: c.truth,
          hypotheses: result.hypotheses,
          insufficientEvidence: result.insufficientEvidence,
          latencyMs: performance.now() - started,
          ...this.tally.take(),
        });
      } catch (error) {
        outcomes.push({
          caseId: c.id,
          truth: c.truth,
          hypotheses: [],
          insufficientEvidence: true,
          latencyMs: performance.now() - started,
          ...this.tally.take(),
          error: (error as Error).message,
        });
      }
    }
    return outcomes;
  }
}
