/**
 * Smoke test of the benchmark harness: every contestant starts, answers the same bytes as Tandem for a
 * record and a 100-item list, and survives one short wrk run that reports its CPU time per request;
 * every wrk request script hands out pre-formatted requests. No timing is asserted here; the figures
 * live in `npm run bench` and BENCHMARKS.md.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sqlitePassOnly, testDialect } from '@tandem/models/testing';
import { prepareCatalog, tokenPool, type BenchCatalog } from '../bench/catalog.js';
import {
  fetchBytes,
  LIST_PATH,
  RECORD_PATH,
  startContestant,
  type ContestantName,
} from '../bench/contestants.js';
import { measureGrants } from '../bench/auth-grants.js';
import { runWrk, wrkAvailable } from '../bench/wrk.js';
import { assertPreformatted, checkHarnessScripts, checkRequestPool } from '../bench/wrk-pool-check.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const skip = sqlitePassOnly(
  'the harness formats requests and starts contestants the same way on both databases; `npm run bench` measures both',
);
if (skip) process.stdout.write(`# SKIP benchmark harness smoke test: ${skip}\n`);

describe('the benchmark harness', { skip }, () => {
  const PRODUCTS = 300;
  let catalog: BenchCatalog;
  let auth: ServiceProcess;
  let tokens: string[];
  let tokensFile: string;
  const servers = new Map<ContestantName, ServiceProcess>();

  before(async () => {
    const secretKey = randomBytes(32).toString('hex');
    catalog = await prepareCatalog(testDialect(), PRODUCTS, process.env.DATABASE_URL ?? '', secretKey);
    auth = await startServiceProcess('auth', ENTRY_POINTS.auth, {
      env: { ...catalog.env, AUTH_PORT: '0', HOST: '127.0.0.1' },
    });
    tokens = await tokenPool(auth.url, catalog.client, 20);
    tokensFile = path.join(mkdtempSync(path.join(tmpdir(), 'tandem-bench-')), 'tokens.txt');
    writeFileSync(tokensFile, tokens.join('\n'));
    const context = { env: catalog.env, authUrl: auth.url };
    const tandem = await startContestant('tandem', context);
    servers.set('tandem', tandem);
    const sample = {
      record: (await fetchBytes(tandem.url + RECORD_PATH, tokens[0]!)).body,
      list: (await fetchBytes(tandem.url + LIST_PATH, tokens[0]!)).body,
    };
    for (const name of ['ceiling', 'express', 'fastify'] as const)
      servers.set(name, await startContestant(name, { ...context, sample }));
  });

  after(async () => {
    for (const server of servers.values()) await server.stop();
    await auth?.stop();
    await catalog?.database.drop();
  });

  test('every contestant answers the same bytes as Tandem for a record and a 100-item list', async () => {
    const tandem = servers.get('tandem')!;
    for (const pathname of [RECORD_PATH, '/v1/products/17', LIST_PATH, '/v1/products?limit=100&after=150']) {
      const expected = await fetchBytes(tandem.url + pathname, tokens[1]!);
      assert.equal(expected.status, 200, `tandem ${pathname}`);
      const json = JSON.parse(expected.body.toString()) as { id?: number; items?: unknown[] };
      if (pathname.includes('limit=100')) assert.equal(json.items?.length, 100);
      for (const name of ['express', 'fastify'] as const) {
        const actual = await fetchBytes(servers.get(name)!.url + pathname, tokens[2]!);
        assert.equal(actual.status, 200, `${name} ${pathname}`);
        assert.equal(
          actual.body.toString(),
          expected.body.toString(),
          `${name} ${pathname}: same bytes as tandem`,
        );
      }
    }
    for (const pathname of [RECORD_PATH, LIST_PATH]) {
      const ceiling = await fetchBytes(servers.get('ceiling')!.url + pathname, tokens[0]!);
      const tandemBytes = await fetchBytes(tandem.url + pathname, tokens[0]!);
      assert.ok(ceiling.body.equals(tandemBytes.body), `ceiling ${pathname}: the bytes tandem served`);
    }
  });

  test('a bad token is refused by every authenticating contestant', async () => {
    for (const name of ['tandem', 'express', 'fastify'] as const) {
      const { status } = await fetchBytes(
        servers.get(name)!.url + RECORD_PATH,
        `${tokens[0]!.slice(0, -4)}AAAA`,
      );
      assert.equal(status, 401, name);
    }
  });

  test(
    'one short wrk run per contestant completes with only 2xx answers',
    { skip: !wrkAvailable() && 'wrk is not installed (apt-get install wrk)' },
    async () => {
      for (const [name, server] of servers) {
        for (const kind of ['record', 'list'] as const) {
          const result = await runWrk(
            { baseUrl: server.url, kind, maxId: PRODUCTS, tokensFile, serverPids: [server.child.pid!] },
            { seconds: 1, connections: 4 },
          );
          assert.ok(result.requestsPerSecond > 0, `${name} ${kind} answered`);
          assert.ok(result.serverCpuPerRequestUs > 0, `${name} ${kind}: server CPU time counted`);
          assert.ok(result.wrkBusyShare > 0 && result.wrkBusyShare < 1.5, `${name} ${kind}: wrk busy share`);
        }
      }
    },
  );

  test(
    'a paced run waits after every answer: each connection sends at most one request per pause',
    { skip: !wrkAvailable() && 'wrk is not installed (apt-get install wrk)' },
    async () => {
      const server = servers.get('ceiling')!;
      const connections = 4;
      const pauseMs = 50;
      const target = {
        baseUrl: server.url,
        kind: 'record' as const,
        maxId: PRODUCTS,
        tokensFile,
        serverPids: [server.child.pid!],
      };
      const paced = await runWrk({ ...target, pauseMs }, { seconds: 1, connections });
      // 4 connections × (1 s ÷ 50 ms) = 80 requests, doubled for wrk's start-up and last round. Without
      // the pause, 4 connections answer thousands in a second on anything fit to run this suite.
      assert.ok(paced.requests > 0, 'paced requests answered');
      assert.ok(paced.requests <= 2 * connections * (1000 / pauseMs), `${paced.requests} paced requests`);
    },
  );

  test(
    'the grant load spends every refresh token and authorization code once and gets only 2xx answers',
    { skip: !wrkAvailable() && 'wrk is not installed (apt-get install wrk)' },
    async () => {
      // measureGrants throws on any refused answer; a refresh token spent twice would revoke its chain.
      const rates = await measureGrants({ url: auth.url, pid: auth.child.pid! }, catalog, {
        warmupSeconds: 1,
        seconds: 1,
        runs: 1,
      });
      for (const grant of [rates.clientCredentials, rates.refresh, rates.authorizationCode]) {
        assert.ok(grant.requestsPerSecond > 0);
        assert.ok(grant.cpuPerRequestUs > 0, 'auth CPU time counted');
      }
    },
  );

  test(
    'every wrk request script hands out pre-formatted requests: request() allocates nothing',
    { skip: !wrkAvailable() && 'wrk is not installed (apt-get install wrk)' },
    async () => {
      const checks = await checkHarnessScripts();
      for (const [name, check] of Object.entries(checks)) {
        assert.equal(check.malformed, 0, name);
        assert.ok(check.allocatedBytes < check.calls, `${name}: ${check.allocatedBytes} bytes allocated`);
      }
      for (const kind of ['record', 'list', 'pairs']) {
        assert.equal(checks[kind]!.poolSize, 10_000, `${kind}: the pool formatted in init()`);
        assert.ok(checks[kind]!.distinct > 1_000, `${kind}: random ids and tokens, not one request`);
        assert.ok(checks[kind]!.authorized, `${kind}: bearer tokens sent (to every contestant)`);
      }
      assert.equal(checks.refresh_token!.distinct, checks.refresh_token!.calls, 'each refresh token once');
      assert.equal(
        checks.writes!.distinct,
        checks.writes!.calls,
        'each order write with its own Idempotency-Key',
      );
      assert.ok(checks.writes!.authorized, 'order writes carry bearer tokens');
    },
  );

  test(
    'the pre-formatting check fails a script that builds its request per call',
    { skip: !wrkAvailable() && 'wrk is not installed (apt-get install wrk)' },
    async () => {
      // The request() wrk-request.lua had before issue 12: wrk.format per request.
      const script = path.join(mkdtempSync(path.join(tmpdir(), 'tandem-pool-check-')), 'per-call.lua');
      writeFileSync(
        script,
        `local tokens = {}
for line in io.lines(os.getenv("WRK_TOKENS_FILE")) do tokens[#tokens + 1] = line end
request = function()
  local headers = { Authorization = "Bearer " .. tokens[math.random(1, #tokens)] }
  return wrk.format("GET", "/v1/products/" .. math.random(1, 10000), headers)
end
`,
      );
      const check = await checkRequestPool(script, { WRK_TOKENS_FILE: tokensFile });
      assert.ok(check.allocatedBytes > 100 * check.calls, `${check.allocatedBytes} bytes allocated`);
      assert.throws(() => assertPreformatted('per-call', check), /builds requests per call/);
    },
  );
});
