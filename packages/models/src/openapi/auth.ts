import type { JsonSchema } from '../model.js';
import {
  DOCUMENT_VERSION,
  jsonContent,
  metricsOperation,
  metricsTokenScheme,
  openApiOperation,
  ref,
  responseRef,
  type OpenApiDocument,
} from './document.js';
import { signInPaths, signInSchemas, userBearerScheme } from './auth-sign-in.js';

export interface AuthDocumentInput {
  /** RFC 6749 grant_type values the token endpoint accepts (the auth service's GRANTS). */
  readonly grantTypes: readonly string[];
  /** Error codes the OAuth endpoints answer with (RFC 6749 §5.2, RFC 7009). */
  readonly errorCodes: readonly string[];
  /** Client authentication methods at the token and revocation endpoints. */
  readonly clientAuthMethods: readonly string[];
  readonly serverUrl?: string;
}

/** What each grant reads from the request, beyond grant_type and scope. */
const GRANT_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  password: ['username', 'password'],
  refresh_token: ['refresh_token'],
  client_credentials: [],
  authorization_code: ['code', 'redirect_uri', 'code_verifier'],
};

const PARAMETER_DESCRIPTIONS: Readonly<Record<string, string>> = {
  username: 'password grant: the account email.',
  password: 'password grant.',
  refresh_token: 'refresh_token grant: the refresh token (single-use).',
  code: 'authorization_code grant: the code from the redirect.',
  redirect_uri: 'authorization_code grant: the redirect URI the code was issued for.',
  code_verifier: 'authorization_code grant: the PKCE verifier (RFC 7636).',
  client_id: 'Client authentication in the body (client_secret_post), or a public client.',
  client_secret: 'Client authentication in the body (client_secret_post).',
  scope: 'Space-separated scopes: a subset of what the user, the refresh token or the client may have.',
};

function tokenRequestSchema(grantTypes: readonly string[]): JsonSchema {
  const names = [
    'grant_type',
    ...new Set(grantTypes.flatMap((grant) => GRANT_PARAMETERS[grant] ?? [])),
    'client_id',
    'client_secret',
    'scope',
  ];
  return {
    type: 'object',
    required: ['grant_type'],
    properties: Object.fromEntries(
      names.map((name) => [
        name,
        name === 'grant_type'
          ? { type: 'string', enum: [...grantTypes] }
          : { type: 'string', description: PARAMETER_DESCRIPTIONS[name] ?? '' },
      ]),
    ),
    examples: [
      {
        grant_type: grantTypes.includes('client_credentials') ? 'client_credentials' : grantTypes[0],
        scope: 'catalog:read',
      },
    ],
  };
}

const tokenResponse: JsonSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: {
    access_token: {
      type: 'string',
      description: 'An EdDSA-signed JWT (iss, aud, sub, scope, iat, nbf, exp, jti, sid).',
    },
    token_type: { const: 'Bearer' },
    expires_in: { type: 'integer', minimum: 1 },
    scope: { type: 'string' },
    id_token: {
      type: 'string',
      description: 'An OpenID Connect ID token, when the openid scope was granted (authorization_code).',
    },
    refresh_token: {
      type: 'string',
      description: 'Opaque and single-use; not issued to client_credentials.',
    },
  },
  examples: [
    {
      access_token: 'eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9...',
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'catalog:read',
    },
  ],
};

const jwkSet: JsonSchema = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kty', 'crv', 'x', 'kid', 'alg', 'use'],
        properties: {
          kty: { const: 'OKP' },
          crv: { const: 'Ed25519' },
          x: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
          kid: { type: 'string' },
          alg: { const: 'EdDSA' },
          use: { const: 'sig' },
        },
      },
    },
  },
};

const stringList: JsonSchema = { type: 'array', items: { type: 'string' } };
const discovery: JsonSchema = {
  type: 'object',
  required: ['issuer', 'token_endpoint', 'revocation_endpoint', 'jwks_uri', 'grant_types_supported'],
  properties: {
    issuer: { type: 'string', format: 'uri' },
    authorization_endpoint: { type: 'string', format: 'uri' },
    token_endpoint: { type: 'string', format: 'uri' },
    userinfo_endpoint: { type: 'string', format: 'uri' },
    end_session_endpoint: { type: 'string', format: 'uri' },
    revocation_endpoint: { type: 'string', format: 'uri' },
    jwks_uri: { type: 'string', format: 'uri' },
    grant_types_supported: stringList,
    scopes_supported: stringList,
    token_endpoint_auth_methods_supported: stringList,
    revocation_endpoint_auth_methods_supported: stringList,
    response_types_supported: stringList,
    claims_supported: stringList,
  },
};

const health: JsonSchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { enum: ['ok', 'unavailable'] },
    checks: {
      type: 'object',
      properties: { database: { type: 'boolean' }, signingKey: { type: 'boolean' } },
    },
  },
};

/**
 * The auth service's OpenAPI 3.1 document: the token endpoint (one request schema for its grants),
 * revocation, the JWKS and the discovery document, with RFC 6749 §5.2 errors, and the browser and
 * OpenID Connect endpoints (authorization page, userinfo, logout: auth-sign-in.ts). Pure: the service
 * serializes it once at start-up.
 */
export function authOpenApiDocument(input: AuthDocumentInput): OpenApiDocument {
  const clientAuth = [{}, { clientBasic: [] }];
  const form = (schema: JsonSchema) => ({
    required: true,
    content: { 'application/x-www-form-urlencoded': { schema }, 'application/json': { schema } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tandem auth service',
      version: DOCUMENT_VERSION,
      description:
        'OAuth 2.0 token endpoint (RFC 6749), revocation (RFC 7009), JWKS (RFC 7517) and discovery; the authorization code flow with PKCE (its login page), OpenID Connect userinfo and RP-initiated logout. Access tokens are EdDSA (Ed25519) JWTs; refresh tokens are opaque and single-use.',
    },
    ...(input.serverUrl && { servers: [{ url: input.serverUrl }] }),
    tags: [
      { name: 'oauth', description: 'Tokens and their revocation.' },
      { name: 'openid', description: 'People signing in to apps: the authorization page, userinfo, logout.' },
      { name: 'keys', description: 'What verifiers need: keys and endpoints.' },
      { name: 'operations', description: 'Health, metrics and this document.' },
    ],
    paths: {
      '/oauth/token': {
        post: {
          operationId: 'token',
          summary: `Obtain tokens (grants: ${input.grantTypes.join(', ')})`,
          tags: ['oauth'],
          security: clientAuth,
          requestBody: form(ref('TokenRequest')),
          responses: {
            '200': {
              description: 'Tokens (Cache-Control: no-store).',
              content: jsonContent(ref('TokenResponse')),
            },
            '400': responseRef('OAuthError'),
            '401': responseRef('OAuthError'),
            '405': responseRef('OAuthError'),
          },
        },
      },
      '/oauth/revoke': {
        post: {
          operationId: 'revoke',
          summary: 'Revoke a refresh token or an access token (its whole session)',
          tags: ['oauth'],
          security: clientAuth,
          requestBody: form(ref('RevokeRequest')),
          responses: {
            '200': { description: 'Revoked, or unknown: RFC 7009 answers 200 either way.' },
            '400': responseRef('OAuthError'),
            '401': responseRef('OAuthError'),
          },
        },
      },
      ...signInPaths,
      '/.well-known/jwks.json': {
        get: {
          operationId: 'jwks',
          summary: 'Public signing keys (next, current and previous)',
          tags: ['keys'],
          responses: {
            '200': {
              description: 'RFC 7517 key set: public keys only.',
              content: jsonContent(ref('JwkSet'), undefined, 'application/jwk-set+json'),
            },
          },
        },
      },
      '/.well-known/openid-configuration': {
        get: {
          operationId: 'discovery',
          summary: 'Discovery: issuer, endpoints, grants, scopes and client authentication methods',
          tags: ['keys'],
          responses: { '200': { description: 'RFC 8414 metadata.', content: jsonContent(ref('Discovery')) } },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Health: the database answers and a signing key is loaded',
          tags: ['operations'],
          responses: {
            '200': { description: 'Healthy.', content: jsonContent(ref('Health')) },
            '503': { description: 'Not ready.', content: jsonContent(ref('Health')) },
          },
        },
      },
      '/metrics': { get: metricsOperation },
      '/openapi.json': { get: openApiOperation },
    },
    components: {
      schemas: {
        TokenRequest: tokenRequestSchema(input.grantTypes),
        TokenResponse: tokenResponse,
        RevokeRequest: {
          type: 'object',
          required: ['token'],
          properties: {
            token: { type: 'string' },
            token_type_hint: { enum: ['refresh_token', 'access_token'] },
            client_id: { type: 'string' },
            client_secret: { type: 'string' },
          },
        },
        OAuthError: {
          type: 'object',
          required: ['error'],
          properties: { error: { enum: [...input.errorCodes] }, error_description: { type: 'string' } },
          examples: [
            {
              error: 'invalid_grant',
              error_description: 'The refresh token is invalid, expired or revoked.',
            },
          ],
        },
        JwkSet: jwkSet,
        Discovery: discovery,
        Health: health,
        ...signInSchemas,
      },
      responses: {
        OAuthError: {
          description: 'RFC 6749 §5.2 error (Cache-Control: no-store).',
          content: jsonContent(ref('OAuthError')),
        },
      },
      securitySchemes: {
        metricsToken: metricsTokenScheme,
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: `client_id and client_secret of a client (or in the body). Methods: ${input.clientAuthMethods.join(', ')}.`,
        },
        userBearer: userBearerScheme,
      },
    },
  };
}
