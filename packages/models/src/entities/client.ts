import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { isBlank, isStringList, throwIfInvalid, type FieldErrors } from '../validation.js';

const p = defineEntity.properties;

/** Same scope syntax as Role.scopes (e.g. `catalog:read`). */
const SCOPE = /^[a-z][a-z0-9_.-]*(?::[a-z0-9_.-]+)*$/;

/** Grant types a client may be allowed (RFC 6749 grant_type values). */
export const CLIENT_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type ClientGrantType = (typeof CLIENT_GRANT_TYPES)[number];

/**
 * A client of the auth service: a machine client (client_credentials) or an app signing people in
 * (authorization_code with PKCE). Its secret is shown once when it is created and stored only as a
 * keyed hash (HMAC-SHA256, see @tandem/tokens client-secrets), so neither a database dump nor the
 * admin can reveal it. A public client (a browser or mobile app, which cannot keep a secret) has a
 * stored hash of a secret nobody was given, never authenticates with it, and must use PKCE.
 */
export const Client = defineEntity({
  name: 'Client',
  tableName: 'clients',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(120),
    /** The public identifier a client sends as `client_id`. */
    clientId: p.string().length(64).unique(),
    /** Hex HMAC-SHA256 of the secret; never serialized, never shown in the admin. */
    secretHash: p.string().length(64).hidden(),
    /** Scopes this client may obtain, e.g. `catalog:read`. */
    scopes: p.json<string[]>().default('[]'),
    isActive: p.boolean().default(true),
    /** Exact redirect URIs of the authorization code flow (RFC 6749 §3.1.2; compared as strings). */
    redirectUris: p.json<string[]>().default('[]'),
    /** Web origins (`https://app.example`) whose pages may call the auth and fast services (CORS). */
    allowedOrigins: p.json<string[]>().default('[]'),
    /** Grants this client may use. */
    grantTypes: p.json<string[]>().default('["client_credentials"]'),
    /** A public client has no secret (RFC 6749 §2.1) and must use PKCE. */
    isPublic: p.boolean().default(false),
    /** Tandem's own app: the user is not asked to consent. */
    isFirstParty: p.boolean().default(false),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
  },
  hooks: {
    beforeCreate: [({ entity }) => validateClient(entity)],
    beforeUpdate: [({ entity }) => validateClient(entity)],
  },
});

export type Client = InferEntity<typeof Client>;

export function validateClient(client: {
  name?: unknown;
  clientId?: unknown;
  scopes?: unknown;
  redirectUris?: unknown;
  allowedOrigins?: unknown;
  grantTypes?: unknown;
  isPublic?: unknown;
}): void {
  const errors: FieldErrors = {};
  if (isBlank(client.name)) errors.name = 'Name is required.';
  if (typeof client.clientId !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(client.clientId))
    errors.clientId = 'Client id must be 8 to 64 letters, digits, "-" or "_".';
  if (!isStringList(client.scopes) || client.scopes.some((scope) => !SCOPE.test(scope)))
    errors.scopes = 'Scopes are lowercase words such as catalog:read.';
  Object.assign(errors, clientFlowProblems(client));
  throwIfInvalid(errors);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Why `uri` cannot be a redirect URI, or undefined. RFC 6749 §3.1.2 and the OAuth security BCP
 * (RFC 9700 §2.1): absolute, no fragment, no user info; https, or http only on a loopback host (native
 * apps), or a private-use scheme with a dot (`com.example.app:/callback`, RFC 8252 §7.1).
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length > 2000 || !URL.canParse(uri)) return `"${uri.slice(0, 60)}" is not an absolute URI.`;
  const url = new URL(uri);
  if (uri.includes('#')) return `"${uri.slice(0, 60)}" has a fragment.`;
  if (url.username !== '' || url.password !== '') return `"${uri.slice(0, 60)}" has user info.`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:')
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : `"${uri.slice(0, 60)}": http only on a loopback host.`;
  if (/^[a-z][a-z0-9+-]*\.[a-z0-9.+-]+:$/.test(url.protocol)) return undefined;
  return `"${uri.slice(0, 60)}": use https, http on a loopback host, or a private-use scheme such as com.example.app:.`;
}

/** Why `origin` is not a web origin (`scheme://host[:port]`, nothing more), or undefined. */
export function originProblem(origin: string): string | undefined {
  if (!URL.canParse(origin)) return `"${origin.slice(0, 60)}" is not an origin such as https://app.example.`;
  const url = new URL(origin);
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin)
    return `"${origin.slice(0, 60)}" is not an origin such as https://app.example (no path, no trailing slash).`;
  return undefined;
}

function clientFlowProblems(client: {
  redirectUris?: unknown;
  allowedOrigins?: unknown;
  grantTypes?: unknown;
  isPublic?: unknown;
}): FieldErrors {
  const errors: FieldErrors = {};
  const redirectUris = client.redirectUris ?? [];
  const origins = client.allowedOrigins ?? [];
  const grants = client.grantTypes ?? ['client_credentials'];
  if (!isStringList(redirectUris)) errors.redirectUris = 'Redirect URIs are a list of URIs.';
  else {
    const problem = redirectUris.map(redirectUriProblem).find((found) => found !== undefined);
    if (problem) errors.redirectUris = problem;
  }
  if (!isStringList(origins)) errors.allowedOrigins = 'Allowed origins are a list of origins.';
  else {
    const problem = origins.map(originProblem).find((found) => found !== undefined);
    if (problem) errors.allowedOrigins = problem;
  }
  if (
    !isStringList(grants) ||
    grants.some((grant) => !(CLIENT_GRANT_TYPES as readonly string[]).includes(grant))
  )
    errors.grantTypes = `Grant types are some of ${CLIENT_GRANT_TYPES.join(', ')}.`;
  else if (client.isPublic === true && grants.includes('client_credentials'))
    errors.grantTypes = 'A public client has no secret, so it cannot use client_credentials.';
  else if (grants.includes('authorization_code') && isStringList(redirectUris) && redirectUris.length === 0)
    errors.redirectUris = 'The authorization_code grant needs at least one redirect URI.';
  return errors;
}
