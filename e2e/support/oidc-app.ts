/**
 * A relying party for the browser tests: a small web app on its own origin that signs people in at
 * the auth service with panva's openid-client (discovery, PKCE S256, state, nonce, ID token signature
 * checked against the JWKS, userinfo, refresh, RP-initiated logout), and whose page then calls the
 * fast service from the browser with the access token (CORS). Every answer of the auth service goes
 * through the library's own checks: a refusal shows on the callback page as `error`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

export interface AppClient {
  readonly clientId: string;
  /** Undefined for a public client. */
  readonly clientSecret: string | undefined;
}

/** What the callback page shows (as JSON in <pre id="result">). */
export interface SignInResult {
  readonly error?: string;
  readonly claims?: Record<string, unknown>;
  readonly userinfo?: Record<string, unknown>;
  readonly accessToken?: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly scope?: string;
}

interface Pending {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly config: oidc.Configuration;
  readonly maxAge?: number;
  /** Tests: exchange with another verifier, or exchange the code twice. */
  readonly tamper?: 'verifier' | 'reuse';
}

export interface OidcApp {
  readonly origin: string;
  readonly redirectUri: string;
  /** Set once the clients exist (they need the app's origin first). */
  register(name: string, client: AppClient): void;
  /** The second exchange's error, when a callback exchanged its code twice. */
  readonly reuse: { error?: string; firstRefreshToken?: string };
  configFor(name: string): Promise<oidc.Configuration>;
  close(): Promise<void>;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `targets` is read on each request: the app starts first (clients register its origin), the services after. */
export async function startOidcApp(targets: { authUrl: string; fastUrl: string }): Promise<OidcApp> {
  const clients = new Map<string, AppClient>();
  const configs = new Map<string, oidc.Configuration>();
  const pending = new Map<string, Pending>();
  const reuse: OidcApp['reuse'] = {};
  let origin = '';

  const configFor = async (name: string) => {
    const client = clients.get(name);
    if (!client) throw new Error(`no client ${name}`);
    let config = configs.get(name);
    if (!config) {
      config = await oidc.discovery(
        new URL(targets.authUrl),
        client.clientId,
        undefined,
        client.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(client.clientSecret),
        // http on loopback in tests; ID token signatures checked against the JWKS (not only TLS trust).
        { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] },
      );
      configs.set(name, config);
    }
    return config;
  };

  const page = (body: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title></head><body>${body}</body></html>`;

  const login = async (url: URL): Promise<string> => {
    const name = url.searchParams.get('client') ?? 'public';
    const config = await configFor(name);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const maxAge = url.searchParams.get('max_age');
    const tamper = (url.searchParams.get('tamper') ?? undefined) as Pending['tamper'];
    pending.set(state, {
      verifier,
      state,
      nonce,
      config,
      maxAge: maxAge ? Number(maxAge) : undefined,
      tamper,
    });
    const params: Record<string, string> = {
      redirect_uri: url.searchParams.get('redirect_uri') ?? `${origin}/callback`,
      scope: 'openid email catalog:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    for (const extra of ['prompt', 'max_age']) {
      const value = url.searchParams.get(extra);
      if (value) params[extra] = value;
    }
    return oidc.buildAuthorizationUrl(config, params).href;
  };

  const callback = async (url: URL): Promise<SignInResult> => {
    const flow = pending.get(url.searchParams.get('state') ?? '');
    if (!flow) return { error: `unknown state; error=${url.searchParams.get('error') ?? ''}` };
    pending.delete(flow.state);
    const checks = {
      pkceCodeVerifier: flow.tamper === 'verifier' ? oidc.randomPKCECodeVerifier() : flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
      maxAge: flow.maxAge,
    };
    try {
      const tokens = await oidc.authorizationCodeGrant(flow.config, url, checks);
      if (flow.tamper === 'reuse') {
        reuse.firstRefreshToken = tokens.refresh_token;
        await oidc.authorizationCodeGrant(flow.config, url, checks).catch((error: Error) => {
          reuse.error = `${error.name}: ${(error as { error?: string }).error ?? error.message}`;
        });
      }
      const claims = tokens.claims()!;
      const userinfo = await oidc.fetchUserInfo(flow.config, tokens.access_token, claims.sub);
      return {
        claims: { ...claims },
        userinfo: { ...userinfo },
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        idToken: tokens.id_token,
        scope: tokens.scope,
      };
    } catch (error) {
      const e = error as Error & { error?: string; code?: string };
      return { error: `${e.name}: ${e.error ?? e.code ?? ''} ${e.message}` };
    }
  };

  // The page calls fast from the browser (another origin) with the token, and shows what it got.
  const callFast = (token: string) => `<pre id="fast">pending</pre><script>
fetch(${JSON.stringify(`${targets.fastUrl}/v1/products?limit=2`)}, { headers: { Authorization: 'Bearer ' + ${JSON.stringify(token)} } })
  .then(async (r) => { document.getElementById('fast').textContent = JSON.stringify({ status: r.status, body: await r.json() }); })
  .catch((e) => { document.getElementById('fast').textContent = JSON.stringify({ failed: String(e) }); });
</script>`;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const send = (status: number, html: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', ...headers });
      res.end(html);
    };
    void (async () => {
      if (url.pathname === '/login') return send(302, '', { Location: await login(url) });
      if (url.pathname === '/callback') {
        const result = await callback(url);
        const fast = result.accessToken ? callFast(result.accessToken) : '';
        return send(200, page(`<pre id="result">${escape(JSON.stringify(result))}</pre>${fast}`));
      }
      if (url.pathname === '/signed-out')
        return send(200, page(`<p id="signed-out">state=${escape(url.searchParams.get('state') ?? '')}</p>`));
      if (url.pathname === '/attack') {
        // A page of this (same-site, other-origin) app auto-posting a forged sign-in to the login form.
        const target = `${targets.authUrl}/oauth/authorize`;
        return send(
          200,
          page(`<form id="f" method="post" action="${escape(target)}">
<input name="authorization" value="${escape(url.searchParams.get('authorization') ?? '')}">
<input name="csrf" value="forged"><input name="step" value="password">
<input name="email" value="reader@example.com"><input name="password" value="guess"></form>
<script>document.getElementById('f').submit()</script>`),
        );
      }
      send(404, page('not found'));
    })().catch((error: unknown) => send(500, page(escape(String(error)))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    redirectUri: `${origin}/callback`,
    register: (name, client) => void clients.set(name, client),
    reuse,
    configFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
