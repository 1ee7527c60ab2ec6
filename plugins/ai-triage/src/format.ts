/** A timestamp in the reader's locale and time zone. */
export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** A 0..1 ratio as a whole percentage. */
export function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

/** A duration in milliseconds, rounded to what a reader can tell apart. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** A relative change (`current / baseline - 1`), or "new" when there was no baseline. */
export function formatChange(changeRatio: number | null): string {
  if (changeRatio === null) {
    return 'new';
  }
  const sign = changeRatio > 0 ? '+' : '';
  return `${sign}${formatPercent(changeRatio)}`;
}

const significant = new Intl.NumberFormat(undefined, {
  maximumSignificantDigits: 3,
});

/** A measured value, to three significant digits. */
export function formatValue(value: number): string {
  return significant.format(value);
}
