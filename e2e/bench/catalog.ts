import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openOrm } from '@tandem/models';
import { createTestDatabase, type TestDatabase } from '@tandem/models/testing';
import { ENTRY_POINTS } from '../support/service-process.js';

const run = promisify(execFile);

export type Dialect = 'sqlite' | 'postgresql';

/** Runs `tandem <args>` the way a user does, with the bench database and secret in the environment. */
export async function tandem(args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, [ENTRY_POINTS.tandem, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    maxBuffer: 16 << 20,
  });
  return stdout;
}

export interface BenchCatalog {
  readonly dialect: Dialect;
  readonly database: TestDatabase;
  readonly env: Record<string, string>;
  readonly products: number;
  readonly client: { readonly id: string; readonly secret: string };
}

/**
 * A fresh database with the seeded demo catalog (`tandem seed`), every product published so ids
 * 1..N all answer, and a machine client with scope catalog:read.
 */
export async function prepareCatalog(
  dialect: Dialect,
  products: number,
  pgServer: string,
  secretKey: string,
): Promise<BenchCatalog> {
  const database = await createTestDatabase(dialect === 'postgresql' ? pgServer : 'sqlite:');
  const env = { DATABASE_URL: database.url, TANDEM_SECRET_KEY: secretKey };
  await tandem(['migrate'], env);
  await tandem(['seed', '--products', String(products)], env);
  const orm = await openOrm(database.target);
  try {
    await orm.em
      .getConnection()
      .execute(`update products set published = ${dialect === 'postgresql' ? 'true' : '1'}`);
  } finally {
    await orm.close();
  }
  const created = await tandem(['createclient', 'bench', '--scope', 'catalog:read'], env);
  const id = /client_id:\s+(\S+)/.exec(created)?.[1];
  const secret = /client_secret:\s+(\S+)/.exec(created)?.[1];
  if (!id || !secret) throw new Error(`could not read the client from:\n${created}`);
  return { dialect, database, env, products, client: { id, secret } };
}

/** Distinct access tokens from the real auth service (client_credentials: no password hashing). */
export async function tokenPool(
  authUrl: string,
  client: BenchCatalog['client'],
  count: number,
): Promise<string[]> {
  const tokens: string[] = [];
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: client.id,
    client_secret: client.secret,
    scope: 'catalog:read',
  });
  while (tokens.length < count) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, count - tokens.length) }, async () => {
        const response = await fetch(`${authUrl}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        const json = (await response.json()) as { access_token?: string; error?: string };
        if (!json.access_token)
          throw new Error(`token request failed: ${response.status} ${JSON.stringify(json)}`);
        return json.access_token;
      }),
    );
    tokens.push(...batch);
  }
  return tokens;
}
