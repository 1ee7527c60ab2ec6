import { CustomErrorBase } from '@backstage/errors';

/** A request body in a format the endpoint does not take (HTTP 415). */
export class UnsupportedMediaTypeError extends CustomErrorBase {
  name = 'UnsupportedMediaTypeError' as const;
  readonly statusCode = 415;
}
