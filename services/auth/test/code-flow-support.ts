/** Helpers of the authorization code tests: code-flow clients, PKCE pairs, a form-posting browser. */
import { createHash, randomBytes } from 'node:crypto';
import { createClient } from '@tandem/tokens';
import {
  SECRET_KEY,
  createRole,
  createUser,
  jwtPayload,
  postForm,
  startTestAuth,
  type JsonResponse,
  type TestAuth,
} from './support.js';

export const REDIRECT_URI = 'https://app.example/callback';

export interface CodeClient {
  readonly clientId: string;
  /** Undefined for a public client. */
  readonly clientSecret: string | undefined;
  readonly id: number;
}

export async function createCodeClient(
  auth: TestAuth,
  options: {
    isPublic?: boolean;
    isFirstParty?: boolean;
    scopes?: string[];
    redirectUris?: string[];
    allowedOrigins?: string[];
    grantTypes?: string[];
  } = {},
): Promise<CodeClient> {
  const { client, clientSecret } = await createClient(
    auth.db.orm.em,
    {
      name: options.isPublic ? 'Public <b>App</b>' : 'Confidential App',
      scopes: options.scopes ?? ['catalog:read'],
      redirectUris: options.redirectUris ?? [REDIRECT_URI],
      allowedOrigins: options.allowedOrigins ?? [],
      grantTypes: options.grantTypes ?? ['authorization_code', 'refresh_token'],
      isPublic: options.isPublic ?? false,
      isFirstParty: options.isFirstParty ?? false,
    },
    SECRET_KEY,
  );
  return { clientId: client.clientId, clientSecret, id: client.id };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface PageAnswer {
  readonly status: number;
  /** The Location of a redirect. */
  readonly location: string | undefined;
  readonly html: string;
  readonly headers: Headers;
}

/**
 * A minimal browser for HTTP-level tests: keeps cookies, follows nothing, posts forms the way a
 * browser on the auth service's own page does (same-origin Fetch Metadata). The Chromium tests drive a
 * real browser; this one lets attack tests change exactly one thing per request.
 */
export class FormBrowser {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  private remember(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      if (/Max-Age=0/.test(line)) this.cookies.delete(name!);
      else this.cookies.set(name!, value!);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async answer(response: Response): Promise<PageAnswer> {
    this.remember(response.headers);
    return {
      status: response.status,
      location: response.headers.get('location') ?? undefined,
      html: await response.text(),
      headers: response.headers,
    };
  }

  async get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<PageAnswer> {
    return this.answer(
      await fetch(`${this.base}${pathAndQuery}`, {
        redirect: 'manual',
        headers: { Cookie: this.cookieHeader(), 'Sec-Fetch-Site': 'none', ...headers },
      }),
    );
  }

  async post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<PageAnswer> {
    return this.answer(
      await fetch(`${this.base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Cookie: this.cookieHeader(),
          Origin: this.base,
          'Sec-Fetch-Site': 'same-origin',
          ...headers,
        },
        body: new URLSearchParams(fields).toString(),
      }),
    );
  }
}

/** The hidden and named fields of the first form of a page. */
export function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1]!] = decodeEntities(match[2]!);
  }
  return fields;
}

function decodeEntities(value: string): string {
  return value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** A valid authorization request of `client` (PKCE, openid and catalog:read, a state), for tests to vary. */
export function validAuthorizeParams(client: CodeClient): Record<string, string> {
  return {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid catalog:read',
    state: 'xyz',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  };
}

export function authorizeQuery(params: Record<string, string>): string {
  return `/oauth/authorize?${new URLSearchParams(params).toString()}`;
}

/** Signs in on the login page and answers consent (allow) when asked; returns the final redirect. */
export async function signInAndAllow(
  browser: FormBrowser,
  query: Record<string, string>,
  email: string,
  password: string,
): Promise<URL> {
  let page = await browser.get(authorizeQuery(query));
  if (page.status === 200 && page.html.includes('name="password"')) {
    page = await browser.post('/oauth/authorize', { ...formFields(page.html), email, password });
  }
  if (page.status === 200 && page.html.includes('name="decision"')) {
    page = await browser.post('/oauth/authorize', { ...formFields(page.html), decision: 'allow' });
  }
  if (page.location === undefined)
    throw new Error(`no redirect (status ${page.status}): ${page.html.slice(0, 400)}`);
  return new URL(page.location);
}

/**
 * The login page's password step in a new browser, for a code of `client` (catalog:read, a fresh PKCE
 * pair): the page's answer to the posted password, and the verifier its code would be exchanged with.
 */
export async function passwordStep(
  authUrl: string,
  client: CodeClient,
  email: string,
  password: string,
): Promise<{ answer: PageAnswer; verifier: string }> {
  const browser = new FormBrowser(authUrl);
  const { verifier, challenge } = pkcePair();
  const login = await browser.get(
    authorizeQuery({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'catalog:read',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }),
  );
  const answer = await browser.post('/oauth/authorize', { ...formFields(login.html), email, password });
  return { answer, verifier };
}

/** Exchanges a code at the token endpoint. */
export function exchange(
  auth: TestAuth,
  client: CodeClient,
  code: string,
  verifier: string,
  extra: Record<string, string> = {},
): Promise<JsonResponse> {
  const credentials: Record<string, string> =
    client.clientSecret === undefined
      ? { client_id: client.clientId }
      : { client_id: client.clientId, client_secret: client.clientSecret };
  return postForm(`${auth.url}/oauth/token`, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT_URI,
    ...credentials,
    ...extra,
  });
}

/**
 * An authorization code for `client` with a fresh PKCE pair (S256): the user signs in on the login page
 * and allows the request; the code comes back on the redirect.
 */
export async function codeFor(
  auth: TestAuth,
  client: CodeClient,
  email: string,
  password: string,
  scope = 'catalog:read',
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const back = await signInAndAllow(
    new FormBrowser(auth.url),
    {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: REDIRECT_URI,
      scope,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
    email,
    password,
  );
  return { code: back.searchParams.get('code')!, verifier };
}

/** What one code-flow sign-in gave a client: its tokens and the session they belong to. */
export interface SignedIn {
  readonly refresh: string;
  readonly access: string;
  readonly sid: string;
}

/** A running auth service with one `reader` user and four code clients, for the client-binding tests. */
export interface ClientBindingFixture {
  readonly auth: TestAuth;
  readonly confidential: CodeClient;
  readonly otherConfidential: CodeClient;
  readonly publicApp: CodeClient;
  readonly otherPublic: CodeClient;
  /** Signs the user in through the code flow (PKCE, consent allowed) for `client`, and exchanges the code. */
  signIn(client: CodeClient): Promise<SignedIn>;
}

/**
 * The world the refresh- and revocation-binding tests attack: a user with the `reader` role
 * (catalog:read) and two confidential and two public first-party code clients, so each token has a
 * rightful client and a real other client of each kind to be presented by.
 */
export async function clientBindingFixture(email: string, password: string): Promise<ClientBindingFixture> {
  const auth = await startTestAuth();
  await createRole(auth, 'reader', ['catalog:read']);
  await createUser(auth, email, password, ['reader']);
  const confidential = await createCodeClient(auth, { isFirstParty: true });
  const otherConfidential = await createCodeClient(auth, { isFirstParty: true });
  const publicApp = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  const otherPublic = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  const signIn = async (client: CodeClient): Promise<SignedIn> => {
    const { code, verifier } = await codeFor(auth, client, email, password);
    const tokens = await exchange(auth, client, code, verifier);
    if (tokens.status !== 200) throw new Error(`the code exchange answered ${tokens.status}: ${tokens.text}`);
    return {
      refresh: String(tokens.body.refresh_token),
      access: String(tokens.body.access_token),
      sid: String(jwtPayload(String(tokens.body.access_token)).sid),
    };
  };
  return { auth, confidential, otherConfidential, publicApp, otherPublic, signIn };
}
