/**
 * Issue 16 item 7 over HTTP: the pages reference the scripts by content-hashed names, which are served
 * precompressed (brotli or gzip by Accept-Encoding, identity otherwise) and cacheable for a year;
 * pages and JSON are compressed per response. Raw bytes are read with node:http (fetch would decode).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Product } from '@tandem/models';
import { chosenEncoding } from '../src/served-assets.js';
import { PASSWORD, startFixture, type Fixture } from './support.js';

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function raw(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('precompressed, content-hashed front-end assets', () => {
  let fixture: Fixture;
  let cookie: string;
  let scripts: string[];

  before(async () => {
    fixture = await startFixture();
    const login = await fetch(`${fixture.origin}/admin/login`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'root@example.com', password: PASSWORD }),
      redirect: 'manual',
    });
    assert.equal(login.status, 302);
    cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = (await raw(`${fixture.origin}/admin`, { cookie })).body.toString();
    scripts = [...page.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]!);
  });
  after(() => fixture.close());

  it('pages load every script by a hashed name, none by AdminJS’s fixed names', async () => {
    assert.equal(scripts.length, 4, scripts.join(' '));
    for (const script of scripts)
      assert.match(
        script,
        /^\/admin\/static\/assets\/(global|design-system|app|components)\.bundle\.[0-9a-f]{16}\.js$/,
      );
    const login = (await raw(`${fixture.origin}/admin/login`)).body.toString();
    assert.ok(!login.includes('/frontend/assets/'), 'the login page uses the hashed names too');
  });

  it('serves brotli, gzip or identity by Accept-Encoding, the same script each time, cacheable for a year', async () => {
    for (const script of scripts) {
      const url = `${fixture.origin}${script}`;
      const identity = await raw(url);
      const br = await raw(url, { 'accept-encoding': 'gzip, deflate, br' });
      const gzip = await raw(url, { 'accept-encoding': 'gzip' });
      const refusedBr = await raw(url, { 'accept-encoding': 'br;q=0, gzip;q=0.5' });
      assert.equal(identity.status, 200);
      assert.equal(identity.headers['content-encoding'], undefined);
      assert.equal(br.headers['content-encoding'], 'br');
      assert.equal(gzip.headers['content-encoding'], 'gzip');
      assert.equal(refusedBr.headers['content-encoding'], 'gzip', 'br;q=0 means not brotli');
      assert.ok(
        brotliDecompressSync(br.body).equals(identity.body),
        `${script}: brotli decodes to the script`,
      );
      assert.ok(gunzipSync(gzip.body).equals(identity.body), `${script}: gzip decodes to the script`);
      assert.ok(
        br.body.length < identity.body.length / 2.5,
        `${script}: ${br.body.length} of ${identity.body.length}`,
      );
      for (const response of [identity, br, gzip]) {
        assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
        assert.equal(response.headers.vary, 'Accept-Encoding');
        assert.equal(response.headers['content-type'], 'text/javascript; charset=utf-8');
        assert.equal(Number(response.headers['content-length']), response.body.length);
      }
    }
  });

  it('answers 404 for a name no build wrote (an old hash, a path outside the folder)', async () => {
    for (const path of [
      '/admin/static/assets/app.bundle.0000000000000000.js',
      '/admin/static/assets/manifest.json',
      '/admin/static/assets/..%2F..%2Fpackage.json',
    ])
      assert.equal((await raw(`${fixture.origin}${path}`)).status, 404, path);
  });

  it('compresses pages and JSON answers, not downloads', async () => {
    const page = await raw(`${fixture.origin}/admin`, { cookie, 'accept-encoding': 'br, gzip' });
    assert.equal(page.headers['content-encoding'], 'br');
    assert.ok(brotliDecompressSync(page.body).toString().includes('window.REDUX_STATE'));
    // (Answers under 1 KB are sent as they are: compressing them gains nothing.)
    const json = await raw(`${fixture.origin}/admin/api/resources/Product/actions/list`, {
      cookie,
      'accept-encoding': 'gzip',
    });
    assert.equal(json.headers['content-encoding'], 'gzip');
    const list = JSON.parse(gunzipSync(json.body).toString()) as { records: unknown[] };
    assert.equal(list.records.length, 3);
    const csv = await raw(`${fixture.origin}/admin/export/Product?format=csv`, {
      cookie,
      'accept-encoding': 'gzip',
    });
    assert.equal(csv.status, 200);
    assert.equal(csv.headers['content-encoding'], undefined);
  });

  it('rewrites pages only: a stored name equal to an asset path comes back as stored in JSON', async () => {
    const name = '/admin/frontend/assets/app.bundle.js';
    await fixture.db.orm.em.fork().nativeUpdate(Product, { sku: 'RAKE-1' }, { name });
    const json = await raw(`${fixture.origin}/admin/api/resources/Product/actions/list?filters.sku=RAKE-1`, {
      cookie,
    });
    const list = JSON.parse(json.body.toString()) as { records: { params: { name: string } }[] };
    assert.equal(list.records[0]?.params.name, name);
  });

  it('chooses brotli unless the client prefers gzip or refuses it', () => {
    assert.equal(chosenEncoding(undefined), 'identity');
    assert.equal(chosenEncoding('identity'), 'identity');
    assert.equal(chosenEncoding('gzip, deflate, br, zstd'), 'br');
    assert.equal(chosenEncoding('gzip;q=1, br;q=0.8'), 'gzip');
    assert.equal(chosenEncoding('BR;Q=0'), 'identity');
    assert.equal(chosenEncoding('*'), 'br');
    assert.equal(chosenEncoding('*;q=0, gzip'), 'gzip');
    assert.equal(chosenEncoding('deflate'), 'identity');
    assert.equal(chosenEncoding('br;q=abc'), 'identity');
  });
});
