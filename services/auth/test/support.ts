/** Shared set-up for the auth service tests: a migrated database, a live server on port 0, captured logs. */
import { loadConfig, type Config } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { Client, Role, User } from '@tandem/models';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import { hashPassword } from '@tandem/accounts';
import { createClient } from '@tandem/tokens';
import { startAuth, type AuthServer } from '../src/server.js';

export const SECRET_KEY = 'test-secret-key-for-the-auth-service-0123456789';

export interface TestAuth {
  readonly db: MigratedTestDatabase;
  readonly server: AuthServer;
  readonly config: Config;
  readonly url: string;
  /** Every log line the service wrote. */
  readonly logs: string[];
  close(): Promise<void>;
}

export async function startTestAuth(env: Record<string, string> = {}): Promise<TestAuth> {
  const db = await createMigratedDatabase();
  const config = loadConfig({
    TANDEM_SECRET_KEY: SECRET_KEY,
    AUTH_PORT: '0',
    DATABASE_URL: db.url,
    NODE_ENV: 'test',
    ...env,
  });
  const logs: string[] = [];
  const logger = createLogger('auth', 'trace', { write: (line: string) => void logs.push(line) });
  const server = await startAuth({ config, orm: db.orm, logger });
  return {
    db,
    server,
    config,
    url: server.url,
    logs,
    async close() {
      await server.close();
      await db.close();
    },
  };
}

export async function createRole(auth: TestAuth, name: string, scopes: string[]): Promise<number> {
  const em = auth.db.orm.em.fork();
  const role = em.create(Role, { name, scopes, permissions: [] });
  await em.flush();
  return role.id;
}

export async function createUser(
  auth: TestAuth,
  email: string,
  password: string,
  roleNames: string[],
  fields: { isActive?: boolean } = {},
): Promise<number> {
  const em = auth.db.orm.em.fork();
  const roles = await em.find(Role, { name: { $in: roleNames } });
  const user = em.create(User, {
    email,
    passwordHash: await hashPassword(password),
    isActive: fields.isActive ?? true,
  });
  user.roles.set(roles);
  await em.flush();
  return user.id;
}

export async function createTestClient(
  auth: TestAuth,
  name: string,
  scopes: string[],
): Promise<{ clientId: string; clientSecret: string; id: number }> {
  const { client, clientSecret } = await createClient(auth.db.orm.em, { name, scopes }, SECRET_KEY);
  return { clientId: client.clientId, clientSecret: clientSecret!, id: client.id };
}

export async function setClientActive(auth: TestAuth, clientId: string, isActive: boolean): Promise<void> {
  await auth.db.orm.em.fork().nativeUpdate(Client, { clientId }, { isActive });
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

async function toJson(response: Response): Promise<JsonResponse> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** POST a form (the OAuth standard encoding). */
export async function postForm(
  url: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return toJson(
    await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    }),
  );
}

export async function postRaw(
  url: string,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return toJson(
    await fetch(url, { method: 'POST', headers: { 'Content-Type': contentType, ...headers }, body }),
  );
}

export async function getJson(url: string): Promise<JsonResponse> {
  return toJson(await fetch(url));
}

export function basicAuth(clientId: string, clientSecret: string): Record<string, string> {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return {
    Authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`,
  };
}

/** Decodes a JWT's payload without verifying it (tests verify separately). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

export function jwtHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
