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

/** How long ago `iso` was, coarsely ("45 s", "12 min", "3 h", "2 d"). */
export function formatAge(iso: string, nowMs: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (seconds < 60) {
    return `${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours} h`;
  }
  return `${Math.floor(hours / 24)} d`;
}

/** The time of day of `iso` in the reader's time zone, to the minute ("14:02"). */
export function formatClock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}

/** A 0..1 probability with two decimals ("0.82"). */
export function formatProbability(probability: number): string {
  return probability.toFixed(2);
}
