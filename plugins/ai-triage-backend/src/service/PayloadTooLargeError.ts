import { CustomErrorBase } from '@backstage/errors';

/** A request body over the configured size limit (HTTP 413). */
export class PayloadTooLargeError extends CustomErrorBase {
  name = 'PayloadTooLargeError' as const;
  readonly statusCode = 413;
}
