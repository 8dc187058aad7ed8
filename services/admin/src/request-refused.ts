/**
 * A request the admin refuses on purpose (a forged field, a cross-site post, a malformed body): the
 * error handler answers it with `status` and `{ error: code, message }` instead of a 500.
 */
export class RequestRefused extends Error {
  override name = 'RequestRefused';

  constructor(
    readonly status: 400 | 403 | 404 | 409 | 415,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
