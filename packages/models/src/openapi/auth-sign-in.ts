import type { JsonSchema } from '../model.js';
import { jsonContent, ref } from './document.js';

/**
 * The auth service's browser and OpenID Connect endpoints, for authOpenApiDocument: the authorization
 * page (RFC 6749 §4.1.1, RFC 7636, OpenID Connect Core §3.1.2), userinfo (OpenID Connect Core §5.3) and
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). The page endpoints answer HTML for a
 * person or a 303 redirect to a registered URI; only userinfo answers JSON.
 */

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});

const redirect = (description: string) => ({
  description,
  headers: { Location: { required: true, schema: { type: 'string', format: 'uri' } } },
});

const queryParameter = (name: string, description: string, schema: JsonSchema, required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

const text = { type: 'string' } as const;

const authorizeParameters = [
  queryParameter('response_type', 'Always `code` (authorization code flow).', { const: 'code' }, true),
  queryParameter('client_id', 'The registered client.', text, true),
  queryParameter(
    'redirect_uri',
    "One of the client's registered redirect URIs, compared exactly; may be left out when it has one.",
    { type: 'string', format: 'uri' },
  ),
  queryParameter(
    'scope',
    'Space-separated scopes; `openid` adds an ID token, `email` the email claim.',
    text,
  ),
  queryParameter('state', 'Echoed in the redirect (at most 2048 characters).', {
    type: 'string',
    maxLength: 2048,
  }),
  queryParameter(
    'code_challenge',
    'PKCE: base64url SHA-256 of the verifier (RFC 7636).',
    {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]{43}$',
    },
    true,
  ),
  queryParameter('code_challenge_method', 'Only S256.', { const: 'S256' }, true),
  queryParameter('nonce', 'Echoed in the ID token (at most 512 characters).', {
    type: 'string',
    maxLength: 512,
  }),
  queryParameter('prompt', 'Space-separated: `none` (alone), `login`, `consent`.', text),
  queryParameter('max_age', 'Seconds since the user last signed in, at most.', {
    type: 'integer',
    minimum: 0,
  }),
  queryParameter('login_hint', 'Email to fill in on the login page.', { type: 'string', maxLength: 254 }),
  queryParameter('response_mode', 'Only `query`.', { const: 'query' }),
];

const signInForm: JsonSchema = {
  type: 'object',
  required: ['authorization', 'csrf', 'step'],
  properties: {
    authorization: { type: 'string', description: "The authorization request's query string, posted back." },
    csrf: { type: 'string', description: "The form's CSRF token (bound to the CSRF cookie)." },
    step: { enum: ['password', 'otp', 'otp-enrol', 'otp-continue', 'consent'] },
    email: { type: 'string', maxLength: 254 },
    password: { type: 'string', maxLength: 1024 },
    pending: { type: 'string', description: 'The sealed sign-in between the password and the code.' },
    code: { type: 'string', description: 'A TOTP code or a recovery code.' },
    decision: { enum: ['allow', 'deny'] },
  },
};

const userinfo: JsonSchema = {
  type: 'object',
  required: ['sub'],
  properties: {
    sub: { type: 'string', pattern: '^[0-9]+$', description: 'The user id.' },
    email: { type: 'string', format: 'email', description: 'With the `email` scope.' },
    email_verified: { type: 'boolean' },
  },
  examples: [{ sub: '1', email: 'ada@example.com', email_verified: false }],
};

const logoutParameters = [
  queryParameter(
    'id_token_hint',
    "An ID token this server issued (expired ones too): no confirmation page when it is of the browser's own sign-in. It never ends a session by itself.",
    text,
  ),
  queryParameter('post_logout_redirect_uri', 'A registered redirect URI of the client, compared exactly.', {
    type: 'string',
    format: 'uri',
  }),
  queryParameter('client_id', 'The client, when there is no id_token_hint.', text),
  queryParameter('state', 'Echoed in the redirect.', { type: 'string', maxLength: 2048 }),
];

const logoutForm: JsonSchema = {
  type: 'object',
  properties: {
    csrf: { type: 'string', description: "The confirmation page's CSRF token." },
    logout: { type: 'string', description: "The logout request's query string, posted back confirmed." },
    id_token_hint: { type: 'string' },
    post_logout_redirect_uri: { type: 'string', format: 'uri' },
    client_id: { type: 'string' },
    state: { type: 'string' },
  },
};

const formBody = (schema: JsonSchema) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema } },
});

const pageOutcomes = {
  '200': html('A page for the person: login, second factor, consent, or the next step after an error.'),
  '303': redirect(
    'To the registered redirect URI with `code`, or `error` (RFC 6749 §4.1.2.1), `state` and `iss`.',
  ),
  '400': html('The client or redirect URI cannot be trusted (never redirected), or a malformed form.'),
};

const userinfoOperation = (operationId: string) => ({
  operationId,
  summary: "The signed-in user's claims (an access token with scope openid)",
  tags: ['openid'],
  security: [{ userBearer: [] }],
  responses: {
    '200': { description: 'Claims (Cache-Control: no-store).', content: jsonContent(ref('UserInfo')) },
    '401': {
      description: 'No token, or an invalid, expired or revoked one (WWW-Authenticate: Bearer).',
      content: jsonContent(ref('BearerError')),
    },
    '403': {
      description: 'The token was not issued with scope openid (insufficient_scope).',
      content: jsonContent(ref('BearerError')),
    },
  },
});

export const signInPaths = {
  '/oauth/authorize': {
    get: {
      operationId: 'authorize',
      summary: 'Authorization request: the login page, consent, then a redirect with a code',
      tags: ['openid'],
      security: [],
      parameters: authorizeParameters,
      responses: pageOutcomes,
    },
    post: {
      operationId: 'authorizeForm',
      summary: 'The login, second-factor and consent forms of the authorization page',
      tags: ['openid'],
      security: [],
      requestBody: formBody(signInForm),
      responses: {
        ...pageOutcomes,
        '401': html('Wrong email, password or code (the same page for an unknown account).'),
        '403': html('A cross-site or expired form (CSRF), refused before anything is read.'),
        '429': html('Too many failed attempts, or sign-ins to the account (Retry-After).'),
      },
    },
  },
  '/oauth/userinfo': { get: userinfoOperation('userinfo'), post: userinfoOperation('userinfoPost') },
  '/oauth/logout': {
    get: {
      operationId: 'endSession',
      summary: "RP-initiated logout: ends the browser's sign-in and the token sessions it started",
      tags: ['openid'],
      security: [],
      parameters: logoutParameters,
      responses: {
        '200': html(
          "Signed out, or (without an id_token_hint of the browser's sign-in) a confirmation page.",
        ),
        '303': redirect('To the registered post_logout_redirect_uri, with `state`.'),
        '400': html('An unknown id_token_hint or an unregistered post_logout_redirect_uri.'),
      },
    },
    post: {
      operationId: 'endSessionForm',
      summary: "The confirmation page's form, or a client posting the logout parameters",
      tags: ['openid'],
      security: [],
      requestBody: formBody(logoutForm),
      responses: {
        '200': html('Signed out, or a confirmation page.'),
        '303': redirect('To the registered post_logout_redirect_uri, with `state`.'),
        '400': html('A bad request (see GET).'),
        '403': html('A cross-site or expired confirmation form (CSRF).'),
      },
    },
  },
} as const;

/** RFC 6750 §3.1 error codes of a protected resource (userinfo). */
const bearerError: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { enum: ['invalid_request', 'invalid_token', 'insufficient_scope'] },
    error_description: { type: 'string' },
  },
};

export const signInSchemas = { UserInfo: userinfo, BearerError: bearerError } as const;

/** The bearer access token userinfo takes (from the authorization code flow, with `openid`). */
export const userBearerScheme = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: "An access token of a user's session whose scope includes openid.",
} as const;
