import { ContextDocument } from '@ai-triage/plugin-ai-triage-common';
import { compareText } from './stats';

/**
 * Lists that may be cut, least valuable first (it loses ties). Alerts go only when all are empty.
 * `localization.edges` and `localization.suspects` are lists of the localization: they are
 * sorted most significant first (changed edges, the origin and changed suspects first).
 */
const CUTTABLE = [
  'criticalPaths',
  'localization.edges',
  'metricDeltas',
  'logTemplates',
  'operations',
  'dependencies',
  'changes',
  'localization.suspects',
] as const;
type ListName = (typeof CUTTABLE)[number] | 'alerts';

function listOf(document: ContextDocument, name: ListName): unknown[] {
  switch (name) {
    case 'localization.edges':
      return document.localization?.edges ?? [];
    case 'localization.suspects':
      return document.localization?.suspects ?? [];
    case 'criticalPaths':
      return document.criticalPaths ?? [];
    case 'changes':
      return document.changes ?? [];
    default:
      return document[name];
  }
}

/** Room kept for the `kept N of M` notes the cuts add. */
const NOTE_RESERVE_BYTES = 9 * 48;
/** Room kept for the `size` that withSize adds: `,"size":{"bytes":…,"estimatedTokens":…}`. */
const SIZE_RESERVE_BYTES = 64;

/**
 * UTF-8 bytes per token assumed by the estimate. BPE tokenizers (GPT, Llama) take about 4 bytes
 * of English prose per token, but JSON with ids, numbers and punctuation nearer 3; 3 keeps the
 * estimate on the safe side.
 */
const BYTES_PER_TOKEN = 3;

/** Estimated tokens of a text of `bytes` UTF-8 bytes. */
export function estimateTokens(bytes: number): number {
  return Math.ceil(bytes / BYTES_PER_TOKEN);
}

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** The document with its `size`: the bytes of its JSON (size included) and estimated tokens. */
export function withSize(document: ContextDocument): ContextDocument {
  const { size: _ignored, ...rest } = document;
  let bytes = byteSize(rest);
  for (;;) {
    const sized = {
      ...rest,
      size: { bytes, estimatedTokens: estimateTokens(bytes) },
    };
    const actual = byteSize(sized);
    if (actual === bytes) return sized;
    bytes = actual;
  }
}

/**
 * Cuts a context document until its JSON, with the `size` withSize adds, is at most `maxBytes`
 * and at most `maxTokens` estimated tokens: the last (least significant) item of the longest list
 * goes first, and every cut is recorded in `truncated` as `<list>: kept N of M`. Lists must be
 * sorted most significant first.
 *
 * @throws Error when even the document without any list items is over budget
 */
export function fitToBudget(
  document: ContextDocument,
  maxBytes: number,
  maxTokens: number = Infinity,
): ContextDocument {
  const budget =
    Math.min(maxBytes, maxTokens * BYTES_PER_TOKEN) - SIZE_RESERVE_BYTES;
  const full = document;
  if (byteSize(full) <= budget) {
    return document;
  }
  const names: ListName[] = [...CUTTABLE, 'alerts'];
  const itemBytes = Object.fromEntries(
    names.map(name => [name, listOf(full, name).map(byteSize)]),
  ) as Record<ListName, number[]>;
  const kept = Object.fromEntries(
    names.map(name => [name, listOf(full, name).length]),
  ) as Record<ListName, number>;

  const cutOne = (): number => {
    const cuttable = CUTTABLE.filter(name => kept[name] > 0);
    const list: ListName | undefined = cuttable.length
      ? cuttable.reduce((longest, name) =>
          kept[name] > kept[longest] ? name : longest,
        )
      : (kept.alerts > 0 && 'alerts') || undefined;
    if (!list) {
      throw new Error(
        `The context document does not fit in ${maxBytes} bytes and ${maxTokens} tokens even without any evidence`,
      );
    }
    kept[list] -= 1;
    return itemBytes[list][kept[list]] + (kept[list] > 0 ? 1 : 0);
  };

  let size = byteSize(full) + NOTE_RESERVE_BYTES;
  while (size > budget) {
    size -= cutOne();
  }
  let result = withCuts(full, kept);
  while (byteSize(result) > budget) {
    cutOne();
    result = withCuts(full, kept);
  }
  return result;
}

function withCuts(
  document: ContextDocument,
  kept: Record<ListName, number>,
): ContextDocument {
  const notes = (['alerts', ...CUTTABLE] as ListName[])
    .filter(name => kept[name] < listOf(document, name).length)
    .map(
      name => `${name}: kept ${kept[name]} of ${listOf(document, name).length}`,
    );
  const cut = <T>(name: ListName, list: T[]): T[] => list.slice(0, kept[name]);
  return {
    ...document,
    ...(document.criticalPaths
      ? { criticalPaths: cut('criticalPaths', document.criticalPaths) }
      : {}),
    ...(document.changes ? { changes: cut('changes', document.changes) } : {}),
    ...(document.localization
      ? {
          localization: {
            ...document.localization,
            edges: cut('localization.edges', document.localization.edges),
            suspects: cut(
              'localization.suspects',
              document.localization.suspects,
            ),
          },
        }
      : {}),
    alerts: cut('alerts', document.alerts),
    operations: cut('operations', document.operations),
    dependencies: cut('dependencies', document.dependencies),
    logTemplates: cut('logTemplates', document.logTemplates),
    metricDeltas: cut('metricDeltas', document.metricDeltas),
    truncated: [...document.truncated, ...notes].sort(compareText),
  };
}
