import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuthorizationCode, Client, User, openOrm } from '@tandem/models';
import { tandem, type BenchCatalog } from './catalog.js';

/** A pool of unused authorization codes for the exchange benchmark, and how to exchange them. */
export interface CodePool {
  readonly file: string;
  readonly env: Record<string, string>;
}

const REDIRECT_URI = 'https://bench.example/callback';

/**
 * The bench's app client (public, first-party, authorization_code + refresh_token) and its user,
 * created once per catalog with `tandem createclient` / `tandem createuser`.
 */
export async function prepareCodeClient(catalog: BenchCatalog): Promise<{ clientId: string; email: string }> {
  const email = `bench-code-${Date.now()}@example.com`;
  await tandem(['createuser', email, '--role', 'reader'], {
    ...catalog.env,
    TANDEM_PASSWORD: 'bench code password',
  });
  const created = await tandem(
    [
      'createclient',
      'bench app',
      '--scope',
      'catalog:read',
      '--redirect-uri',
      REDIRECT_URI,
      '--public',
      '--first-party',
    ],
    catalog.env,
  );
  const clientId = /client_id:\s+(\S+)/.exec(created)?.[1];
  if (!clientId) throw new Error(`could not read the client from:\n${created}`);
  return { clientId, email };
}

/**
 * `count` authorization codes, inserted straight into the database before the run: what the
 * authorization page stores after a sign-in (scope openid + catalog:read, so each exchange also signs
 * an ID token), with one PKCE pair for all. The benchmark measures the exchange (code → tokens), not
 * the page; the pool's codes expire in an hour instead of 60 s so that preparing them does not count.
 */
export async function prepareCodePool(
  catalog: BenchCatalog,
  app: { clientId: string; email: string },
  count: number,
): Promise<CodePool> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const codes = Array.from({ length: count }, () => randomBytes(32).toString('base64url'));
  const orm = await openOrm(catalog.database.target);
  try {
    const em = orm.em.fork();
    const client = await em.findOneOrFail(Client, { clientId: app.clientId });
    const user = await em.findOneOrFail(User, { email: app.email });
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 3600_000);
    for (let start = 0; start < codes.length; start += 5000) {
      await em.insertMany(
        AuthorizationCode,
        codes.slice(start, start + 5000).map((code) => ({
          codeHash: createHash('sha256').update(code).digest('hex'),
          client: client.id,
          user: user.id,
          redirectUri: REDIRECT_URI,
          scope: 'openid catalog:read',
          codeChallenge: challenge,
          nonce: null,
          authTime: now,
          amr: 'pwd',
          acr: null,
          loginSessionId: null,
          createdAt: now,
          expiresAt,
          usedAt: null,
          sessionId: null,
        })),
      );
    }
  } finally {
    await orm.close();
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tandem-codes-')), 'codes.txt');
  writeFileSync(file, codes.join('\n'));
  return {
    file,
    env: {
      WRK_CODES_FILE: file,
      WRK_CLIENT_ID: app.clientId,
      WRK_REDIRECT_URI: encodeURIComponent(REDIRECT_URI),
      WRK_CODE_VERIFIER: verifier,
    },
  };
}
