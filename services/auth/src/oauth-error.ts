import type { ServerResponse } from 'node:http';
import type { Logger } from '@tandem/log';
import { sendJson } from './send-json.js';

/** RFC 6749 §5.2 error codes (plus RFC 7009's unsupported_token_type and a generic server_error). */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
  'server_error',
  'not_found',
  'method_not_allowed',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

const STATUS: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  server_error: 500,
  not_found: 404,
  method_not_allowed: 405,
};

/** A refusal the client can act on: status, machine-readable code, human message. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly status: number;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
    this.status = STATUS[code] ?? 400;
  }
}

/** Token responses and errors must never be cached (RFC 6749 §5.1). */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

export function sendOAuthError(res: ServerResponse, error: OAuthError): void {
  const headers: Record<string, string> = { ...NO_STORE, ...error.headers };
  // RFC 6749 §5.2: a 401 invalid_client carries the authentication scheme the client should use.
  if (error.code === 'invalid_client')
    headers['WWW-Authenticate'] ??= 'Basic realm="tandem", charset="UTF-8"';
  sendJson(res, error.status, headers, { error: error.code, error_description: error.description });
}

/** An unexpected failure: logged (message and stack only), answered 500 `server_error` without details. */
export function sendServerError(res: ServerResponse, logger: Logger, error: unknown): void {
  logger.error(
    { err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) },
    'unexpected error',
  );
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendOAuthError(
    res,
    new OAuthError('server_error', 'The server could not handle the request; try again later.'),
  );
}
