/**
 * Issue 18: the real infra/docker/Dockerfile and infra/compose.yaml, built and run. PostgreSQL, Redis, the
 * migrate job, admin, auth, the relay, the applier, two fast replicas and nginx come up from the compose
 * file; then, through the ports it publishes on this machine, a staff member logs in to the admin, a
 * reader gets a token from auth and reads through nginx, a product changed in the admin shows on both
 * replicas, the reader places an order through nginx and waits for it to be applied (the stock goes
 * down on both replicas), one replica is killed and reads go on, every service stops within 2 s of
 * SIGTERM, and `down -v` removes it all. Slow (it builds images), so it runs only when asked: TANDEM_CONTAINER_TEST=1, which
 * `bash infra/test.sh` sets (CI runs that once, in its own step). Steps build on each other.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { eventually, freePort } from '@tandem/models/testing';
import {
  asComments,
  BASE_IMAGES,
  ComposeProject,
  containerTestSkip,
  docker,
  inspect,
  mainProcessUid,
  pruneOldTandemImages,
} from '../support/compose.js';

const skip = containerTestSkip();
if (skip) process.stdout.write(`# SKIP container round trip: ${skip}\n`);

/** The services built from infra/docker/Dockerfile: non-root, stopped by SIGTERM. */
const APP_SERVICES = ['admin', 'auth', 'relay', 'applier', 'fast'] as const;
/** The services whose image has a HEALTHCHECK on /healthz. */
const HEALTH_CHECKED = ['admin', 'auth', 'fast'] as const;
const STAFF = { email: 'staff@example.com', password: `staff-${randomBytes(9).toString('hex')}` };
const READER = { email: 'reader@example.com', password: `reader-${randomBytes(9).toString('hex')}` };
/** Up to 2 minutes to become healthy: health checks run every 5–10 s on a busy 2-core machine. */
const START_TIMEOUT_MS = 120_000;

interface Product {
  id: number;
  name: string;
  priceCents: number;
  currency: string;
  stock: number;
}

interface Order {
  id: number;
  status: string;
  currency: string;
  totalCents: number;
  lines: { productId: number; quantity: number; unitPriceCents: number }[];
}

describe('the compose stack, built from the Dockerfile, end to end', { skip }, () => {
  const ports = { admin: 0, auth: 0, http: 0 };
  let project: ComposeProject;
  let token = '';
  let product: Product;
  let cookie = '';
  const renamed = `Renamed in the containerised admin ${randomBytes(4).toString('hex')}`;

  let failedStep: string | undefined;
  /**
   * A step that, when it fails, prints what every container logged; the steps after it are skipped
   * (each needs the one before, and waiting for their deadlines would only repeat the failure).
   */
  const step = (name: string, fn: () => Promise<void>) =>
    it(name, async (t) => {
      if (failedStep) return t.skip(`an earlier step failed: ${failedStep}`);
      try {
        await fn();
      } catch (error) {
        failedStep = name;
        process.stdout.write(`# compose logs:\n${asComments(await project.logs())}`);
        throw error;
      }
    });

  const readThroughNginx = async (id: number) => {
    const response = await fetch(`http://127.0.0.1:${ports.http}/v1/products/${id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, text: await response.text() };
  };

  /** GET /v1/products/{id} from inside one fast container, on its own loopback (not through nginx). */
  const readOnReplica = async (container: string, id: number) => {
    const script =
      "fetch('http://127.0.0.1:8002/v1/products/'+process.argv[1],{headers:{authorization:'Bearer '+process.env.T}})" +
      '.then(async r=>process.stdout.write(JSON.stringify({status:r.status,text:await r.text()})))';
    const { stdout } = await docker('exec', '-e', `T=${token}`, container, 'node', '-e', script, String(id));
    return JSON.parse(stdout) as { status: number; text: string };
  };

  const tandem = (...args: string[]) => project.compose('run', '--rm', '--no-deps', '-T', 'migrate', ...args);

  before(async () => {
    const images = spawnSync('bash', [BASE_IMAGES], { encoding: 'utf8', stdio: 'pipe' });
    process.stdout.write(asComments(`${images.stdout}${images.stderr}`));
    assert.equal(images.status, 0, 'infra/test/base-images.sh made the base images');
    ports.admin = await freePort();
    ports.auth = await freePort();
    ports.http = await freePort();
    project = new ComposeProject('tandem-e2e', {
      TANDEM_SECRET_KEY: randomBytes(32).toString('base64url'),
      POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
      TANDEM_ADMIN_HOST_PORT: String(ports.admin),
      TANDEM_AUTH_HOST_PORT: String(ports.auth),
      TANDEM_HTTP_HOST_PORT: String(ports.http),
    });
    // A stack left by an interrupted run would hold the names and volumes.
    await project.compose('down', '-v', '--remove-orphans');
  });

  after(async () => {
    if (!project) return;
    await project.compose('down', '-v', '--remove-orphans', '--timeout', '2');
    const { stdout } = await docker(
      'volume',
      'ls',
      '-q',
      '--filter',
      'label=com.docker.compose.project=tandem-e2e',
    );
    assert.equal(stdout.trim(), '', 'down -v removed the volumes');
    await pruneOldTandemImages();
  });

  step('builds every target of the Dockerfile and brings the stack up with two fast replicas', async () => {
    await project.compose('build');
    await project.compose('up', '-d', '--scale', 'fast=2');
    const migrate = await project.containers('migrate');
    assert.equal(migrate.length, 1);
    assert.deepEqual(
      await inspect(migrate[0]!).then((c) => [c.running, c.exitCode]),
      [false, 0],
      'migrate ran',
    );
    for (const service of HEALTH_CHECKED)
      for (const id of await project.containers(service))
        await eventually(
          `${service} reports healthy (HEALTHCHECK on /healthz)`,
          async () => (await inspect(id)).health === 'healthy',
          START_TIMEOUT_MS,
        );
    assert.equal((await project.containers('fast')).length, 2, 'two fast replicas');
    const [nginx] = await project.containers('nginx');
    await eventually('nginx runs', async () => (await inspect(nginx!)).running, START_TIMEOUT_MS);
    const appliers = await project.containers('applier');
    assert.equal(appliers.length, 1, 'an applier');
    await eventually('the applier runs', async () => (await inspect(appliers[0]!)).running, START_TIMEOUT_MS);
  });

  step('runs every Tandem process as a non-root user', async () => {
    for (const service of APP_SERVICES)
      for (const id of await project.containers(service)) {
        const container = await inspect(id);
        assert.equal(container.user, 'node', `${container.name} image user`);
        assert.notEqual(await mainProcessUid(id), 0, `${container.name} main process uid`);
      }
  });

  step('management commands run in the cli image: a staff user, a demo catalog, a reader', async () => {
    await tandem('createuser', STAFF.email, '--password', STAFF.password, '--staff', '--superuser');
    await tandem('seed', '--products', '20', '--categories', '2');
    await tandem('createuser', READER.email, '--password', READER.password, '--role', 'reader');
  });

  step('a reader gets a token from auth and reads a product through nginx', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.auth}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        username: READER.email,
        password: READER.password,
        scope: 'catalog:read',
      }),
    });
    const body = (await response.json()) as { access_token?: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    token = body.access_token!;
    let page: { items: Product[] } = { items: [] };
    await eventually(
      'nginx serves the seeded catalog from fast',
      async () => {
        const list = await fetch(`http://127.0.0.1:${ports.http}/v1/products?limit=1`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (list.status !== 200) return false;
        page = (await list.json()) as { items: Product[] };
        return page.items.length === 1;
      },
      START_TIMEOUT_MS,
    );
    product = page.items[0]!;
    const read = await readThroughNginx(product.id);
    assert.equal(read.status, 200, read.text);
    assert.equal((JSON.parse(read.text) as Product).name, product.name);
    const anonymous = await fetch(`http://127.0.0.1:${ports.http}/v1/products/${product.id}`);
    assert.equal(anonymous.status, 401, 'no token, no data');
  });

  step('staff log in to the admin through its published port', async () => {
    const login = await fetch(`http://127.0.0.1:${ports.admin}/admin/login`, {
      method: 'POST',
      body: new URLSearchParams({ email: STAFF.email, password: STAFF.password }),
      redirect: 'manual',
    });
    assert.equal(login.status, 302, await login.text());
    assert.notEqual(login.headers.get('location'), '/admin/login', 'not sent back to the login page');
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.ok(cookie, 'a session cookie');
    const home = await fetch(`http://127.0.0.1:${ports.admin}/admin`, {
      headers: { cookie },
      redirect: 'manual',
    });
    assert.equal(home.status, 200);
  });

  step('a product changed in the admin shows on both fast replicas', async () => {
    const edit = await fetch(
      `http://127.0.0.1:${ports.admin}/admin/api/resources/Product/records/${product.id}/edit`,
      { method: 'POST', headers: { cookie }, body: new URLSearchParams({ name: renamed }) },
    );
    const body = (await edit.json()) as { notice?: { type: string } };
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    const replicas = await project.containers('fast');
    assert.equal(replicas.length, 2);
    for (const replica of replicas)
      await eventually(`replica ${replica.slice(0, 12)} serves the new name`, async () => {
        const read = await readOnReplica(replica, product.id);
        return read.status === 200 && (JSON.parse(read.text) as Product).name === renamed;
      });
    const read = await readThroughNginx(product.id);
    assert.equal((JSON.parse(read.text) as Product).name, renamed);
  });

  step('the reader places an order through nginx and gets it once the applier has applied it', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.auth}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        username: READER.email,
        password: READER.password,
        scope: 'catalog:read orders:read orders:write',
      }),
    });
    const granted = (await response.json()) as { access_token?: string };
    assert.equal(response.status, 200, JSON.stringify(granted));
    const buyer = granted.access_token!;
    // A product in stock: the seeded catalog has some at 0.
    const list = await fetch(`http://127.0.0.1:${ports.http}/v1/products?limit=50`, {
      headers: { authorization: `Bearer ${buyer}` },
    });
    const { items } = (await list.json()) as { items: Product[] };
    const bought = items.find((item) => item.stock >= 2);
    assert.ok(bought, `a product with stock among ${items.length}`);
    const quantity = 2;

    const placed = await fetch(`http://127.0.0.1:${ports.http}/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${buyer}`,
        'content-type': 'application/json',
        prefer: 'wait=10',
        'idempotency-key': `containers-${randomBytes(6).toString('hex')}`,
      },
      body: JSON.stringify({ lines: [{ productId: bought.id, quantity }] }),
    });
    const text = await placed.text();
    assert.equal(placed.status, 201, `applied within the wait, through nginx: ${text}`);
    assert.equal(placed.headers.get('preference-applied'), 'wait=10');
    const order = JSON.parse(text) as Order;
    assert.equal(placed.headers.get('location'), `/v1/orders/${order.id}`);
    assert.equal(order.status, 'pending');
    assert.deepEqual(order.lines, [{ productId: bought.id, quantity, unitPriceCents: bought.priceCents }]);
    assert.equal(order.totalCents, quantity * bought.priceCents);
    assert.equal(order.currency, bought.currency);

    const again = await fetch(`http://127.0.0.1:${ports.http}/v1/orders/${order.id}`, {
      headers: { authorization: `Bearer ${buyer}` },
    });
    assert.equal(again.status, 200);
    assert.equal(await again.text(), text, 'the order as GET serves it');
    // The stock taken in the applier's transaction reaches every replica through the change feed.
    for (const replica of await project.containers('fast'))
      await eventually(`replica ${replica.slice(0, 12)} serves the lower stock`, async () => {
        const read = await readOnReplica(replica, bought.id);
        return read.status === 200 && (JSON.parse(read.text) as Product).stock === bought.stock - quantity;
      });
    const read = await readThroughNginx(bought.id);
    assert.equal((JSON.parse(read.text) as Product).stock, bought.stock - quantity);
  });

  step('reads through nginx go on after one replica is killed', async () => {
    const [victim, survivor] = await project.containers('fast');
    await docker('kill', victim!);
    assert.equal((await inspect(victim!)).running, false, 'the replica is down');
    assert.equal((await inspect(survivor!)).running, true);
    // Round robin sends every other request to the dead replica; nginx retries those on the live one.
    for (let i = 0; i < 20; i += 1) {
      const read = await readThroughNginx(product.id);
      assert.equal(read.status, 200, `read ${i}: ${read.text}`);
      assert.equal((JSON.parse(read.text) as Product).name, renamed);
    }
  });

  step(
    'every Tandem process stops on SIGTERM within 2 s (docker stop does not have to kill it)',
    async () => {
      const running: string[] = [];
      for (const service of APP_SERVICES)
        for (const id of await project.containers(service)) if ((await inspect(id)).running) running.push(id);
      assert.equal(running.length, 5, 'admin, auth, relay, the applier and the surviving replica');
      // docker stop sends SIGTERM and, after the timeout, SIGKILL: exit code 137 would mean it was killed.
      await docker('stop', '--time', '2', ...running);
      for (const id of running) {
        const container = await inspect(id);
        assert.equal(container.exitCode, 0, `${container.name} exited by itself with 0 after SIGTERM`);
      }
    },
  );
});
