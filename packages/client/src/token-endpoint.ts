import { boundedText, clipped, MAX_SMALL_BODY_BYTES } from './bounded-body.js';
import { ApiError, oauthError } from './errors.js';
import { NO_REDIRECTS, refuseRedirect } from './no-redirects.js';

/** A successful token response (RFC 6749 §5.1), with its expiry as a time on this client's clock. */
export interface TokenSet {
  readonly accessToken: string;
  /** Present for the password and refresh_token grants; each one works once (rotation). */
  readonly refreshToken?: string;
  /** Milliseconds since the epoch, on this client's clock (request start + `expires_in`). */
  readonly expiresAt: number;
  /** The granted scopes, space-separated. */
  readonly scope: string;
}

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

interface TokenResponseBody {
  readonly access_token?: unknown;
  readonly refresh_token?: unknown;
  readonly expires_in?: unknown;
  readonly scope?: unknown;
  readonly error?: unknown;
  readonly error_description?: unknown;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
export function basicAuthorization({ clientId, clientSecret }: ClientCredentials): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  // After form-encoding both parts are ASCII, which is what btoa accepts.
  return `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`;
}

/** `expires_in` outside 1 s .. a year is refused: negative would refresh on every call, Infinity never. */
const MAX_EXPIRES_IN = 365 * 86_400;

async function readJson(response: Response): Promise<TokenResponseBody | undefined> {
  const text = await boundedText(response, MAX_SMALL_BODY_BYTES, 'token endpoint');
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null ? (body as TokenResponseBody) : undefined;
  } catch {
    return undefined;
  }
}

const validExpiresIn = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_EXPIRES_IN;

/**
 * One POST to the token endpoint (RFC 6749 §3.2): a TokenSet, or the OAuthError subclass named by the
 * §5.2 `error` field. Client credentials go in an HTTP Basic header (client_secret_basic). A redirect is
 * not followed (no-redirects.ts): an ApiError with code `redirect_refused`.
 */
export async function requestToken(
  fetchFn: typeof fetch,
  tokenUrl: string,
  params: Readonly<Record<string, string>>,
  client?: ClientCredentials,
): Promise<TokenSet> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client) headers.authorization = basicAuthorization(client);
  const startedAt = Date.now();
  const response = await fetchFn(tokenUrl, {
    method: 'POST',
    headers,
    body: new URLSearchParams(params).toString(),
    ...NO_REDIRECTS,
  });
  refuseRedirect(response, 'token endpoint');
  const body = await readJson(response);
  if (!response.ok) {
    if (typeof body?.error === 'string')
      throw oauthError(
        clipped(body.error),
        typeof body.error_description === 'string' ? clipped(body.error_description) : '',
        response.status,
      );
    throw new ApiError(
      response.status,
      'unexpected_response',
      `The token endpoint answered ${response.status} without an OAuth error.`,
    );
  }
  if (typeof body?.access_token !== 'string' || !validExpiresIn(body.expires_in))
    throw new ApiError(
      response.status,
      'unexpected_response',
      `The token endpoint answered without access_token, or without expires_in as whole seconds from 1 to ${MAX_EXPIRES_IN}.`,
    );
  return {
    accessToken: body.access_token,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    expiresAt: startedAt + body.expires_in * 1000,
    scope: typeof body.scope === 'string' ? body.scope : '',
  };
}
