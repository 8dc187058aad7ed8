/**
 * The dashboard's scraper sends METRICS_TOKEN to services that require it. Each service here is an HTTP
 * server guarded by the same MetricsAccess that fast and auth use; a wrong token reads as "down", with
 * the reason said.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@tandem/log';
import { MetricsAccess } from '@tandem/service';
import { MetricsSampler } from '../src/metrics/sampler.js';

const TOKEN = 'admin-scrape-token-0123456789abcdefghijk';
const TEXT = 'tandem_fast_requests_total{route="record",status="200"} 3\ntandem_fast_feed_lag_events 0\n';

describe('the dashboard scraper and METRICS_TOKEN', () => {
  let server: Server;
  let url: string;
  const seen: (string | undefined)[] = [];

  before(async () => {
    const access = new MetricsAccess(TOKEN);
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (!access.allows(req.headers.authorization)) {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"' }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(TEXT);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const read = async (metricsToken: string | undefined) => {
    const sampler = new MetricsSampler({ fast: url, auth: url }, createLogger('admin', 'silent'), {
      metricsToken,
    });
    await sampler.tick();
    await sampler.close();
    return sampler.snapshot().services;
  };

  it('reads a guarded service with the token', async () => {
    seen.length = 0;
    const services = await read(TOKEN);
    assert.deepEqual(
      services.map((s) => [s.name, s.up]),
      [
        ['fast', true],
        ['auth', true],
      ],
    );
    assert.deepEqual(seen, [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('without the token, or with another, the service reads as down and the reason names METRICS_TOKEN', async () => {
    for (const token of [undefined, `${TOKEN}-old`]) {
      seen.length = 0;
      const services = await read(token);
      for (const service of services) {
        assert.equal(service.up, false, `${token}`);
        assert.match(service.error ?? '', /HTTP 401: METRICS_TOKEN/);
      }
      assert.deepEqual(
        seen,
        token === undefined ? [undefined, undefined] : [`Bearer ${token}`, `Bearer ${token}`],
      );
    }
  });
});
