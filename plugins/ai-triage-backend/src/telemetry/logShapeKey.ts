import { createHash } from 'node:crypto';
import { tokenize } from './LogTemplateMiner';

/**
 * The key of a log message's shape: a hash of its tokens after the miner's masks replaced its
 * variables (`payment 42 failed` and `payment 7 failed` share one). A function of the message
 * alone, so the OTLP receiver's rollups and enrichment agree on it across processes and restarts.
 */
export function logShapeKey(message: string): string {
  return createHash('sha256')
    .update(tokenize(message).join(' '))
    .digest('hex')
    .slice(0, 32);
}
