import type { Response } from 'express';
import { sendJson } from './send-json.js';

/** RFC 6749 §5.2 error codes (plus RFC 7009's unsupported_token_type and a generic server_error). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type'
  | 'server_error'
  | 'not_found'
  | 'method_not_allowed';

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

export function sendOAuthError(res: Response, error: OAuthError): void {
  const headers: Record<string, string> = { ...NO_STORE, ...error.headers };
  // RFC 6749 §5.2: a 401 invalid_client carries the authentication scheme the client should use.
  if (error.code === 'invalid_client')
    headers['WWW-Authenticate'] ??= 'Basic realm="tandem", charset="UTF-8"';
  sendJson(res, error.status, headers, { error: error.code, error_description: error.description });
}
