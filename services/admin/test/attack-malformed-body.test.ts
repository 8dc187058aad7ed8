/**
 * Malformed requests that used to end in a 500 or be misread: form and query keys that walk into
 * Object.prototype, and bodies whose Content-Encoding does not match (or is not supported).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { Category } from '@tandem/models';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

describe('attack: malformed admin requests', () => {
  let fixture: Fixture;
  let root: Client;
  const category = async () =>
    (await fixture.db.orm.em.fork().findOneOrFail(Category, fixture.ids.categories[0]!)).name;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  it('answers __proto__ and constructor.prototype keys with 400 forbidden_key', async () => {
    const edit = `/resources/Category/records/${fixture.ids.categories[0]}/edit`;
    for (const key of ['__proto__.x', '__proto__.name', 'constructor.prototype.x', 'name.__proto__.x']) {
      for (const path of [edit, '/resources/Category/actions/new']) {
        const { status, body } = await root.api(path, {
          form: { name: 'Polluted', slug: 'polluted', [key]: 'x' },
        });
        assert.equal(status, 400, `${path} ${key}`);
        assert.equal(body.error, 'forbidden_key');
        assert.match(String(body.message), /not allowed/);
      }
      const list = await root.api(`/resources/Category/actions/list?filters.${key}=x`);
      assert.equal(list.status, 400, `list ${key}`);
    }
    assert.equal(await category(), 'Garden tools');
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  it('refuses file uploads, anonymous or signed in, and leaves no file in the temp directory', async () => {
    const leftovers = () => new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('upload_')));
    const before = leftovers();
    /** A multipart body with a 256 KiB file part, as bytes and its content type. */
    const upload = async () => {
      const form = new FormData();
      form.append('name', 'Uploaded');
      form.append('file', new Blob([Buffer.alloc(256 * 1024, 0x41)]), 'big.bin');
      const request = new Request('http://localhost/', { method: 'POST', body: form });
      return {
        raw: new Uint8Array(await request.arrayBuffer()),
        headers: { 'content-type': request.headers.get('content-type')! },
      };
    };
    // To the login page with no session, as anybody could, and to a record action as a superuser.
    const anonymous = await new Client(fixture.origin).request('/admin/login', await upload());
    assert.equal(anonymous.status, 400);
    assert.equal(((await anonymous.json()) as { error: string }).error, 'uploads_not_accepted');
    const edit = await root.request(
      `/admin/api/resources/Category/records/${fixture.ids.categories[0]}/edit`,
      await upload(),
    );
    assert.equal(edit.status, 400);
    await edit.text();
    assert.deepEqual(
      [...leftovers()].filter((name) => !before.has(name)),
      [],
      'no upload left on disk',
    );
    assert.equal(await category(), 'Garden tools');
  });

  it('refuses a body labelled gzip, compressed or not, with 415 and a clear message', async () => {
    const edit = `/resources/Category/records/${fixture.ids.categories[0]}/edit`;
    for (const body of ['name=Plain', gzipSync('name=Zipped')]) {
      const response = await root.request(`/admin/api${edit}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
        raw: body,
      });
      assert.equal(response.status, 415);
      const json = (await response.json()) as { error: string; message: string };
      assert.equal(json.error, 'unsupported_content_encoding');
      assert.match(json.message, /Content-Encoding: gzip/);
    }
    assert.equal(await category(), 'Garden tools');
  });
});
