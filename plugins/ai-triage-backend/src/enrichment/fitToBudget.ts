import { ContextDocument } from '@ai-triage/plugin-ai-triage-common';
import { compareText } from './stats';

/** Lists that may be cut, least valuable first (it loses ties). Alerts go only when all are empty. */
const CUTTABLE = [
  'metricDeltas',
  'logTemplates',
  'operations',
  'dependencies',
] as const;
type ListName = (typeof CUTTABLE)[number] | 'alerts';

/** Room kept for the `kept N of M` notes the cuts add. */
const NOTE_RESERVE_BYTES = 5 * 48;

function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Cuts a context document until its JSON is at most `maxBytes`: the last (least significant)
 * item of the longest list goes first, and every cut is recorded in `truncated` as
 * `<list>: kept N of M`. Lists must be sorted most significant first.
 *
 * @throws Error when even the document without any list items is larger than `maxBytes`
 */
export function fitToBudget(
  document: ContextDocument,
  maxBytes: number,
): ContextDocument {
  if (byteSize(document) <= maxBytes) {
    return document;
  }
  const names: ListName[] = [...CUTTABLE, 'alerts'];
  const itemBytes = Object.fromEntries(
    names.map(name => [name, (document[name] as unknown[]).map(byteSize)]),
  ) as Record<ListName, number[]>;
  const kept = Object.fromEntries(
    names.map(name => [name, document[name].length]),
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
        `The context document does not fit in ${maxBytes} bytes even without any evidence`,
      );
    }
    kept[list] -= 1;
    return itemBytes[list][kept[list]] + (kept[list] > 0 ? 1 : 0);
  };

  let size = byteSize(document) + NOTE_RESERVE_BYTES;
  while (size > maxBytes) {
    size -= cutOne();
  }
  let result = withCuts(document, kept);
  while (byteSize(result) > maxBytes) {
    cutOne();
    result = withCuts(document, kept);
  }
  return result;
}

function withCuts(
  document: ContextDocument,
  kept: Record<ListName, number>,
): ContextDocument {
  const notes = (['alerts', ...CUTTABLE] as ListName[])
    .filter(name => kept[name] < document[name].length)
    .map(name => `${name}: kept ${kept[name]} of ${document[name].length}`);
  return {
    ...document,
    alerts: document.alerts.slice(0, kept.alerts),
    operations: document.operations.slice(0, kept.operations),
    dependencies: document.dependencies.slice(0, kept.dependencies),
    logTemplates: document.logTemplates.slice(0, kept.logTemplates),
    metricDeltas: document.metricDeltas.slice(0, kept.metricDeltas),
    truncated: [...document.truncated, ...notes].sort(compareText),
  };
}
