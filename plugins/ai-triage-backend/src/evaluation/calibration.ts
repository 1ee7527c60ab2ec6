import {
  ContextDocument,
  HypothesisSet,
  confidenceOf,
} from '@ai-triage/plugin-ai-triage-common';
import { Reasoner } from '@ai-triage/plugin-ai-triage-node';
import { Knex } from 'knex';
import { z } from 'zod';
import {
  configBoolean,
  readConfigSection,
  wholeNumber,
} from '../configSection';
import { RELIABILITY_BINS, binOf } from './metrics';
import { ReviewQualityStore, ReviewedHypothesis } from './ReviewQualityStore';

/** Reviews and acceptances in one probability bin of one reasoner's rule family. */
export type CalibrationBin = {
  reasoner: string;
  family: string;
  bin: number;
  reviews: number;
  accepted: number;
};

/** A fallback run is stored as `heuristic (fallback)`; it is still the heuristic's answer. */
export const reasonerKey = (name: string) => name.replace(/ \(fallback\)$/, '');

/** Counts reviews and acceptances per reasoner, family and bin. */
export function countBins(
  reviewed: Array<
    Pick<ReviewedHypothesis, 'reasoner' | 'family' | 'probability' | 'decision'>
  >,
): CalibrationBin[] {
  const bins = new Map<string, CalibrationBin>();
  for (const r of reviewed) {
    const reasoner = reasonerKey(r.reasoner);
    const bin = binOf(r.probability);
    const key = `${reasoner}\u0000${r.family}\u0000${bin}`;
    const entry = bins.get(key) ?? {
      reasoner,
      family: r.family,
      bin,
      reviews: 0,
      accepted: 0,
    };
    entry.reviews += 1;
    entry.accepted += r.decision === 'accepted' ? 1 : 0;
    bins.set(key, entry);
  }
  return [...bins.values()];
}

/**
 * The calibrated probability of each bin of one family: the bins' acceptance rates, made
 * non-decreasing by pooling adjacent violators (weighted by reviews), so a higher built-in
 * score never maps lower. Null for a bin no review fell into.
 */
export function calibrationMap(bins: CalibrationBin[]): Array<number | null> {
  const blocks: Array<{ bins: number[]; reviews: number; accepted: number }> =
    [];
  for (const b of [...bins].sort((x, y) => x.bin - y.bin)) {
    if (b.reviews === 0) continue;
    blocks.push({ bins: [b.bin], reviews: b.reviews, accepted: b.accepted });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1];
      const prev = blocks[blocks.length - 2];
      if (prev.accepted / prev.reviews <= last.accepted / last.reviews) break;
      blocks.splice(blocks.length - 2, 2, {
        bins: [...prev.bins, ...last.bins],
        reviews: prev.reviews + last.reviews,
        accepted: prev.accepted + last.accepted,
      });
    }
  }
  const map: Array<number | null> = Array(RELIABILITY_BINS).fill(null);
  for (const block of blocks) {
    for (const bin of block.bins) map[bin] = block.accepted / block.reviews;
  }
  return map;
}

/** The stored calibration (table `calibration_bins`). */
export class CalibrationStore {
  constructor(private readonly knex: Knex) {}

  async replace(bins: CalibrationBin[]): Promise<void> {
    const computedAt = new Date();
    await this.knex.transaction(async tx => {
      await tx('calibration_bins').delete();
      if (bins.length > 0) {
        await tx('calibration_bins').insert(
          bins.map(b => ({ ...b, computed_at: computedAt })),
        );
      }
    });
  }

  async read(): Promise<CalibrationBin[]> {
    const rows = await this.knex('calibration_bins').select(
      'reasoner',
      'family',
      'bin',
      'reviews',
      'accepted',
    );
    return rows.map(r => ({
      reasoner: r.reasoner,
      family: r.family,
      bin: Number(r.bin),
      reviews: Number(r.reviews),
      accepted: Number(r.accepted),
    }));
  }
}

/** Where calibration bins come from: the store, or a fixed table (replay with `--calibration`). */
export type CalibrationSource = { read(): Promise<CalibrationBin[]> };

/**
 * Maps a reasoner's probabilities through the calibration learned from reviews, per rule family
 * (the hypothesis's `kind`), once that family has at least `minReviews` reviews; below that, and
 * in bins no review fell into, the reasoner's own probability stands. The label follows the
 * mapped probability. Reads the table at most every `refreshMs`.
 */
export class CalibratedReasoner implements Reasoner {
  private cache: { atMs: number; bins: CalibrationBin[] } | undefined;

  constructor(
    private readonly inner: Reasoner,
    private readonly source: CalibrationSource,
    private readonly options: { minReviews: number; refreshMs?: number },
  ) {}

  get name() {
    return this.inner.name;
  }

  get model() {
    return this.inner.model;
  }

  get promptVersion() {
    return this.inner.promptVersion;
  }

  /** The wrapped reasoner (for its circuit state and the like). */
  get reasoner() {
    return this.inner;
  }

  async reason(context: ContextDocument): Promise<HypothesisSet> {
    const result = await this.inner.reason(context);
    const bins = await this.bins();
    const maps = new Map<string, Array<number | null>>();
    const mapFor = (family: string) => {
      if (!maps.has(family)) {
        const own = bins.filter(
          b => b.reasoner === this.inner.name && b.family === family,
        );
        const reviews = own.reduce((s, b) => s + b.reviews, 0);
        maps.set(
          family,
          reviews >= this.options.minReviews ? calibrationMap(own) : [],
        );
      }
      return maps.get(family)!;
    };
    return {
      ...result,
      hypotheses: result.hypotheses.map(h => {
        if (h.probability === undefined) return h;
        const mapped = mapFor(h.kind ?? 'unknown')[binOf(h.probability)];
        if (mapped === null || mapped === undefined) return h;
        return { ...h, probability: mapped, confidence: confidenceOf(mapped) };
      }),
    };
  }

  private async bins(): Promise<CalibrationBin[]> {
    const now = Date.now();
    if (
      !this.cache ||
      now - this.cache.atMs >= (this.options.refreshMs ?? 60_000)
    ) {
      this.cache = { atMs: now, bins: await this.source.read() };
    }
    return this.cache.bins;
  }
}

/** The scheduled task's work: recompute the bins from the reviews of the last `windowDays`. */
export async function recomputeCalibration(options: {
  reviews: ReviewQualityStore;
  store: CalibrationStore;
  windowDays: number;
}): Promise<CalibrationBin[]> {
  const to = new Date();
  const from = new Date(to.getTime() - options.windowDays * 86_400_000);
  const bins = countBins(await options.reviews.listReviewed({ from, to }));
  await options.store.replace(bins);
  return bins;
}

/** `aiTriage.reasoning.calibration` with its defaults (see config.d.ts). */
export type CalibrationConfig = {
  enabled: boolean;
  minReviews: number;
  windowDays: number;
  frequencyMinutes: number;
};

const calibrationSchema = z.object({
  enabled: configBoolean.default(true),
  minReviews: wholeNumber(1).default(50),
  windowDays: wholeNumber(1).default(90),
  frequencyMinutes: wholeNumber(1).default(60),
});

export function readCalibrationConfig(
  root: import('@backstage/config').Config,
): CalibrationConfig {
  return readConfigSection(
    root,
    'aiTriage.reasoning.calibration',
    calibrationSchema,
  );
}

/**
 * Schedules the calibration task (once per cluster, every `frequencyMinutes`) and returns how
 * reasoners are wrapped to use its result; with calibration disabled they stay as they are.
 */
export async function scheduleCalibration(options: {
  /** Recomputes the bins on it; without one (replays) the stored bins are only read. */
  scheduler?: import('@backstage/backend-plugin-api').SchedulerService;
  logger: import('@backstage/backend-plugin-api').LoggerService;
  knex: Knex;
  config: import('@backstage/config').Config;
}): Promise<{ wrap(reasoner: Reasoner): Reasoner }> {
  const config = readCalibrationConfig(options.config);
  if (!config.enabled) return { wrap: reasoner => reasoner };
  const store = new CalibrationStore(options.knex);
  const reviews = new ReviewQualityStore(options.knex);
  await options.scheduler?.scheduleTask({
    id: 'ai-triage-calibration',
    frequency: { minutes: config.frequencyMinutes },
    timeout: { minutes: 5 },
    fn: async () => {
      const bins = await recomputeCalibration({
        reviews,
        store,
        windowDays: config.windowDays,
      });
      options.logger.info(
        `Calibration recomputed from ${bins.reduce(
          (s, b) => s + b.reviews,
          0,
        )} reviews`,
      );
    },
  });
  return {
    wrap: reasoner =>
      new CalibratedReasoner(reasoner, store, {
        minReviews: config.minReviews,
      }),
  };
}
