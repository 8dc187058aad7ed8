import { Client } from '@tandem/models';
import { clientMayHaveScope, parseScope } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import { holdsNul, nulDescription, parameterWithNul } from '../nul-values.js';
import { withQueryValues } from './redirect-query.js';

/** A registered client, as the authorization endpoint needs it. */
export interface AuthorizingClient {
  readonly pk: number;
  readonly clientId: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly redirectUris: readonly string[];
  readonly isFirstParty: boolean;
}

/** A checked authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1). */
export interface AuthorizationRequest {
  readonly client: AuthorizingClient;
  /** Where the answer goes: the redirect_uri parameter, or the client's only registered URI. */
  readonly redirectUri: string;
  /** The redirect_uri parameter as sent; undefined when left out (then the exchange may leave it out). */
  readonly redirectUriParam: string | undefined;
  readonly state: string | undefined;
  /** Requested scopes (the client's own scopes when none were asked for). */
  readonly scopes: readonly string[];
  readonly codeChallenge: string;
  readonly nonce: string | undefined;
  /** OpenID Connect prompt values (`none`, `login`, `consent`). */
  readonly prompt: ReadonlySet<string>;
  /** OpenID Connect max_age in seconds. */
  readonly maxAge: number | undefined;
  /** OpenID Connect login_hint (see login-hint.ts): an email address or a subject. */
  readonly loginHint: string | undefined;
  /** The query string the request came with, carried through the login form unchanged. */
  readonly raw: string;
}

/** RFC 6749 §4.1.2.1 and OpenID Connect Core §3.1.2.6 error codes of the authorization endpoint. */
export type AuthorizeErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'server_error'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'request_not_supported'
  | 'request_uri_not_supported';

/** A refusal that is sent back to the client's (valid) redirect URI. */
export class RedirectableError extends Error {
  constructor(
    readonly code: AuthorizeErrorCode,
    readonly description: string,
    readonly request: { readonly redirectUri: string; readonly state: string | undefined },
  ) {
    super(description);
  }
}

/**
 * A refusal shown on the page: the client or its redirect URI cannot be trusted, so nothing is sent
 * anywhere (RFC 6749 §4.1.2.1: no redirect to an unregistered URI, no open redirector).
 */
export class PageError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'invalid_client' | 'unauthorized_client',
    readonly description: string,
  ) {
    super(description);
  }
}

const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** The prompt values this server acts on (discovery's prompt_values_supported); any other is refused. */
export const PROMPT_VALUES = ['none', 'login', 'consent'] as const;
const PROMPTS = new Set<string>(PROMPT_VALUES);
/** The longest `state` echoed back (authorization and logout); a longer one is refused, never cut. */
export const MAX_STATE = 2048;
const MAX_NONCE = 512;
/** The longest email address (RFC 5321 path limit), so the longest hint that can name an account. */
const MAX_LOGIN_HINT = 254;

/** Every parameter once (RFC 6749 §3.1), empty ones counting as absent. */
function singleParams(query: string): { params: Map<string, string>; repeated: string | undefined } {
  const params = new Map<string, string>();
  let repeated: string | undefined;
  for (const [name, value] of new URLSearchParams(query)) {
    if (value === '') continue;
    if (params.has(name)) repeated ??= name;
    params.set(name, value);
  }
  return { params, repeated };
}

async function findClient(deps: AuthDeps, clientId: string): Promise<AuthorizingClient> {
  const client = clientId.length <= 64 ? await deps.orm.em.fork().findOne(Client, { clientId }) : undefined;
  if (!client || !client.isActive) throw new PageError('invalid_client', 'Unknown or inactive client.');
  if (!client.grantTypes.includes('authorization_code'))
    throw new PageError('unauthorized_client', 'This client may not use the authorization code flow.');
  return {
    pk: client.id,
    clientId: client.clientId,
    name: client.name,
    scopes: client.scopes,
    redirectUris: client.redirectUris,
    isFirstParty: client.isFirstParty,
  };
}

/**
 * Reads and checks an authorization request. The client and redirect URI come first: until both
 * are known good, a problem is a PageError (shown to the user); after that, problems go back to the
 * redirect URI as RedirectableError with the request's `state`.
 */
export async function readAuthorizationRequest(deps: AuthDeps, query: string): Promise<AuthorizationRequest> {
  const { params, repeated } = singleParams(query);
  if (repeated === 'client_id' || repeated === 'redirect_uri')
    throw new PageError('invalid_request', `Parameter "${repeated}" must not be repeated.`);
  const clientId = params.get('client_id');
  if (clientId === undefined) throw new PageError('invalid_request', 'Parameter "client_id" is required.');
  // Before the lookup (PostgreSQL refuses U+0000), and no client is known to send the refusal to.
  for (const name of ['client_id', 'redirect_uri'])
    if (holdsNul(params.get(name) ?? '')) throw new PageError('invalid_request', nulDescription(name));
  const client = await findClient(deps, clientId);
  const asked = params.get('redirect_uri');
  // Exact string comparison (RFC 9700 §4.1.3): no prefix, no normalisation, no wildcard.
  if (asked !== undefined && !client.redirectUris.includes(asked))
    throw new PageError('invalid_request', 'The redirect_uri is not registered for this client.');
  if (asked === undefined && client.redirectUris.length !== 1)
    throw new PageError('invalid_request', 'Parameter "redirect_uri" is required for this client.');
  const redirectUri = asked ?? client.redirectUris[0]!;
  const state = params.get('state');
  // A state that is refused is not echoed either.
  const echoState = state !== undefined && state.length <= MAX_STATE && !holdsNul(state);
  const back = { redirectUri, state: echoState ? state : undefined };
  const fail = (code: AuthorizeErrorCode, description: string): never => {
    throw new RedirectableError(code, description, back);
  };

  if (repeated !== undefined)
    fail('invalid_request', `Parameter "${repeated.slice(0, 40)}" must not be repeated.`);
  // Any other value with U+0000 (nonce and the rest reach the database with the code).
  const withNul = parameterWithNul(params);
  if (withNul !== undefined) fail('invalid_request', nulDescription(withNul));
  if (state !== undefined && state.length > MAX_STATE)
    fail('invalid_request', `Parameter "state" is longer than ${MAX_STATE} characters.`);
  if (params.has('request')) fail('request_not_supported', 'Request objects are not supported.');
  if (params.has('request_uri')) fail('request_uri_not_supported', 'request_uri is not supported.');
  const responseType = params.get('response_type');
  if (responseType === undefined) fail('invalid_request', 'Parameter "response_type" is required.');
  if (responseType !== 'code')
    fail('unsupported_response_type', 'Only response_type=code is supported (authorization code with PKCE).');
  const responseMode = params.get('response_mode');
  if (responseMode !== undefined && responseMode !== 'query')
    fail('invalid_request', 'Only response_mode=query is supported.');

  const codeChallenge = params.get('code_challenge');
  if (codeChallenge === undefined) fail('invalid_request', 'PKCE is required: send code_challenge (S256).');
  if (params.get('code_challenge_method') !== 'S256')
    fail('invalid_request', 'code_challenge_method must be S256 (plain is not accepted).');
  if (!PKCE_CHALLENGE.test(codeChallenge!))
    fail('invalid_request', 'code_challenge must be the base64url SHA-256 of the verifier (43 characters).');

  const scopes = parseScope(params.get('scope') ?? client.scopes.join(' '));
  if (scopes === undefined) fail('invalid_scope', 'The scope parameter is not a list of scope tokens.');
  const beyond = scopes!.find((scope) => !clientMayHaveScope(client.scopes, scope));
  if (beyond !== undefined)
    fail('invalid_scope', `This client may not request the scope "${beyond.slice(0, 60)}".`);

  const nonce = params.get('nonce');
  if (nonce !== undefined && nonce.length > MAX_NONCE)
    fail('invalid_request', `Parameter "nonce" is longer than ${MAX_NONCE} characters.`);
  const prompt = new Set((params.get('prompt') ?? '').split(' ').filter((value) => value !== ''));
  const unknownPrompt = [...prompt].find((value) => !PROMPTS.has(value));
  if (unknownPrompt !== undefined)
    fail('invalid_request', `Unknown prompt value "${unknownPrompt.slice(0, 40)}".`);
  if (prompt.has('none') && prompt.size > 1) fail('invalid_request', 'prompt=none cannot be combined.');
  const maxAgeText = params.get('max_age');
  if (maxAgeText !== undefined && !/^(0|[1-9][0-9]{0,9})$/.test(maxAgeText))
    fail('invalid_request', 'max_age must be a whole number of seconds.');
  const loginHint = params.get('login_hint');
  if (loginHint !== undefined && loginHint.length > MAX_LOGIN_HINT)
    fail('invalid_request', `Parameter "login_hint" is longer than ${MAX_LOGIN_HINT} characters.`);

  return {
    client,
    redirectUri,
    redirectUriParam: asked,
    state,
    scopes: scopes!,
    codeChallenge: codeChallenge!,
    nonce,
    prompt,
    maxAge: maxAgeText === undefined ? undefined : Number(maxAgeText),
    loginHint,
    raw: query,
  };
}

/**
 * Where an authorization response goes (RFC 6749 §4.1.2): the redirect URI with the parameters added
 * to its query (any it had are kept), `state` echoed, and `iss` (RFC 9207) so a client talking to
 * several servers knows which one answered.
 */
export function redirectTo(
  target: { readonly redirectUri: string; readonly state: string | undefined },
  issuer: string,
  values: Readonly<Record<string, string>>,
): string {
  return withQueryValues(target.redirectUri, [
    ...Object.entries(values),
    ...(target.state !== undefined ? [['state', target.state] as const] : []),
    ['iss', issuer],
  ]);
}
