/**
 * The live metrics endpoint the dashboard polls (GET /admin/api/metrics): only staff holding
 * `view_metrics` (or superusers) read it, only from the admin's own pages; a revoked permission takes
 * effect at once; a service that does not answer is reported as unreachable, not an error.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { Role, User } from '@tandem/models';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface LiveMetricsBody {
  error?: string;
  services?: { name: string; up: boolean; error?: string }[];
  plots?: { id: string }[];
}

describe('attack: the live metrics endpoint', () => {
  let fixture: Fixture;
  let root: Client;
  let editor: Client;
  let watcher: Client;
  const get = (client: Client, headers: Record<string, string> = {}) =>
    client.api<LiveMetricsBody>('/metrics', { headers });

  before(async () => {
    const port = String(await closedPort());
    fixture = await startFixture({ FAST_PORT: port, AUTH_PORT: port });
    const em = fixture.db.orm.em.fork();
    const role = em.create(Role, { name: 'on call', scopes: [], permissions: ['view_metrics'] });
    const user = em.create(User, {
      email: 'oncall@example.com',
      passwordHash: await hashPassword(PASSWORD),
      isStaff: true,
    });
    user.roles.add(role);
    await em.flush();
    root = new Client(fixture.origin);
    editor = new Client(fixture.origin);
    watcher = new Client(fixture.origin);
    for (const [client, email] of [
      [root, 'root@example.com'],
      [editor, 'editor@example.com'],
      [watcher, 'oncall@example.com'],
    ] as const)
      assert.equal((await client.login(email)).status, 302);
  });
  after(() => fixture.close());

  it('answers superusers and holders of view_metrics, naming an unreachable service, never failing', async () => {
    for (const client of [root, watcher]) {
      const { status, body } = await get(client, { 'sec-fetch-site': 'same-origin' });
      assert.equal(status, 200);
      assert.deepEqual(
        body.services?.map((s) => [s.name, s.up]),
        [
          ['fast', false],
          ['auth', false],
        ],
      );
      assert.ok(body.plots?.some((plot) => plot.id === 'fast_requests'));
    }
    // The first scrape has happened by now (it runs at start-up): the reason is said.
    const { body } = await get(root);
    assert.match(body.services?.[0]?.error ?? '', /connection refused|not read yet/);
  });

  it('refuses staff without view_metrics (403) and anyone not logged in (401)', async () => {
    const refused = await get(editor);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'forbidden');
    assert.equal(refused.body.plots, undefined, 'no data with the refusal');
    const anonymous = await get(new Client(fixture.origin));
    assert.equal(anonymous.status, 401);
    // Nor does a permission smuggled into the query or headers change anything.
    const smuggled = await editor.api<LiveMetricsBody>('/metrics?permissions=view_metrics&isSuperuser=true', {
      headers: { 'x-permissions': 'view_metrics' },
    });
    assert.equal(smuggled.status, 403);
  });

  it('refuses a read started by another site, even for a superuser', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const { status, body } = await get(root, { 'sec-fetch-site': site, origin: 'http://evil.example' });
      assert.equal(status, 403, site);
      assert.equal(body.error, 'csrf_failed');
      assert.equal(body.services, undefined);
    }
  });

  it('takes a revoked permission away at once', async () => {
    const em = fixture.db.orm.em.fork();
    const role = await em.findOneOrFail(Role, { name: 'on call' });
    role.permissions = [];
    await em.flush();
    assert.equal((await get(watcher)).status, 403);
  });

  it('tells the dashboard whether to show the plots', async () => {
    assert.equal((await root.api<{ liveMetrics: boolean }>('/dashboard')).body.liveMetrics, true);
    assert.equal((await editor.api<{ liveMetrics: boolean }>('/dashboard')).body.liveMetrics, false);
  });
});
