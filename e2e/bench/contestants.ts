import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const contestantScript = (name: string) =>
  fileURLToPath(new URL(`./contestants/${name}.js`, import.meta.url));

/** `express-orders` places orders synchronously (the writes bench, writes.ts); the others serve products. */
export type ContestantName = 'ceiling' | 'tandem' | 'express' | 'fastify' | 'express-orders';

export interface ContestantContext {
  /** DATABASE_URL and TANDEM_SECRET_KEY of the bench catalog. */
  readonly env: Record<string, string>;
  readonly authUrl: string;
  /** Bytes Tandem answered for the sample record and list (the ceiling serves exactly these). */
  readonly sample?: { readonly record: Buffer; readonly list: Buffer };
  /** CPUs to pin the server to (`taskset -c`); unset in tests. */
  readonly cpus?: string;
}

export const RECORD_PATH = '/v1/products/1';
export const LIST_PATH = '/v1/products?limit=100&after=0';

/** BENCH_FAST_NODE_ARGS (space-separated): node's options for every fast process a bench starts, e.g. `--cpu-prof`. */
export function fastNodeArgs(): string[] | undefined {
  return nodeArgsFrom('BENCH_FAST_NODE_ARGS');
}

/** BENCH_AUTH_NODE_ARGS: the same for the auth process whose grants are measured. */
export function authNodeArgs(): string[] | undefined {
  return nodeArgsFrom('BENCH_AUTH_NODE_ARGS');
}

function nodeArgsFrom(variable: string): string[] | undefined {
  return process.env[variable]?.split(' ').filter((arg) => arg !== '');
}

/** Starts one contestant the way it would run in production, pinned to the server core. */
export async function startContestant(
  name: ContestantName,
  context: ContestantContext,
): Promise<ServiceProcess> {
  const verification = {
    TOKEN_ISSUER: context.authUrl,
    TOKEN_AUDIENCE: 'tandem',
    JWKS_URL: `${context.authUrl}/.well-known/jwks.json`,
  };
  const common = { cpus: context.cpus, timeoutMs: 120_000 };
  switch (name) {
    case 'tandem':
      return startServiceProcess('tandem', ENTRY_POINTS.fast, {
        ...common,
        nodeArgs: fastNodeArgs(),
        env: { ...context.env, ...verification, FAST_PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' },
      });
    case 'express':
    case 'fastify':
    case 'express-orders':
      return startServiceProcess(name, contestantScript(name), {
        ...common,
        env: { ...context.env, ...verification, PORT: '0', NODE_ENV: 'production' },
      });
    case 'ceiling': {
      if (!context.sample) throw new Error('the ceiling needs the sample bytes Tandem served');
      const dir = mkdtempSync(path.join(tmpdir(), 'tandem-ceiling-'));
      writeFileSync(path.join(dir, 'record.json'), context.sample.record);
      writeFileSync(path.join(dir, 'list.json'), context.sample.list);
      return startServiceProcess('ceiling', contestantScript('ceiling'), {
        ...common,
        env: {
          PORT: '0',
          CEILING_RECORD_FILE: path.join(dir, 'record.json'),
          CEILING_LIST_FILE: path.join(dir, 'list.json'),
        },
      });
    }
  }
}

/** GET with a bearer token; the raw bytes, so contestants can be compared byte for byte. */
export async function fetchBytes(url: string, token: string): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}
