/**
 * Malformed requests that used to end in a 500 or be misread: form and query keys that walk into
 * Object.prototype, bodies whose Content-Encoding does not match (or is not supported), bodies the
 * form parser cannot read, and bodies too large to read at all (one killed the process).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
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

  it('refuses a body over 1 MiB by its Content-Length, before reading it, and stays up', async () => {
    // What killed the admin: 600 MB of form body to the login page, which formidable read into one
    // string. Only the head and a few bytes are sent here; the answer must not wait for the rest.
    const answer = await rawRequest(
      fixture.origin,
      'POST /admin/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 600000000\r\n\r\nemail=a',
    );
    assert.match(answer.head, /^HTTP\/1\.1 413 /);
    assert.match(answer.head, /\r\nconnection: close\r\n/i);
    assert.equal(answer.json.error, 'body_too_large');
    assert.match(answer.json.message, /at most 1048576/);
    const signedIn = await root.request(
      `/admin/api/resources/Category/records/${fixture.ids.categories[0]}/show`,
    );
    assert.equal(signedIn.status, 200, 'the admin still answers');
  });

  it('refuses a body of unknown length (chunked) with 411', async () => {
    const answer = await rawRequest(
      fixture.origin,
      'POST /admin/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n7\r\nemail=a\r\n',
    );
    assert.match(answer.head, /^HTTP\/1\.1 411 /);
    assert.equal(answer.json.error, 'length_required');
  });

  it('answers bodies the form parser cannot read with 4xx, not 500, anonymous or signed in', async () => {
    const edit = `/admin/api/resources/Category/records/${fixture.ids.categories[0]}/edit`;
    const cases: { type: string | undefined; raw: string; status: number; error: string }[] = [
      { type: 'application/json', raw: '{bad', status: 400, error: 'malformed_body' },
      { type: 'multipart/form-data', raw: '--x\r\nname=1', status: 400, error: 'malformed_body' },
      { type: 'text/plain', raw: 'name=Plain', status: 415, error: 'unsupported_media_type' },
      { type: undefined, raw: 'name=Untyped', status: 415, error: 'unsupported_media_type' },
    ];
    for (const { type, raw, status, error } of cases) {
      for (const [client, path] of [
        [new Client(fixture.origin), '/admin/login'],
        [root, edit],
      ] as const) {
        const response = await client.request(path, {
          method: 'POST',
          headers: type === undefined ? {} : { 'content-type': type },
          raw: new TextEncoder().encode(raw),
        });
        const json = (await response.json()) as { error: string; message: string };
        assert.equal(response.status, status, `${type} to ${path}: ${JSON.stringify(json)}`);
        assert.equal(json.error, error);
        assert.equal(typeof json.message, 'string');
      }
    }
    assert.equal(await category(), 'Garden tools');
  });
});

/** Sends `text` as the start of a request on a fresh connection and reads the answer's head and JSON body. */
async function rawRequest(
  origin: string,
  text: string,
): Promise<{ head: string; json: { error: string; message: string } }> {
  const { hostname, port } = new URL(origin);
  const socket = connect(Number(port), hostname);
  socket.write(text);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', resolve);
    socket.on('close', () => resolve());
    socket.on('error', reject);
    // A server that waits for the rest of the body never answers: fail instead of hanging.
    socket.setTimeout(5000, () => reject(new Error('no answer within 5 s: the server is reading the body')));
  });
  const answer = Buffer.concat(chunks).toString('latin1');
  const split = answer.indexOf('\r\n\r\n');
  return {
    head: answer.slice(0, split + 2),
    json: JSON.parse(answer.slice(split + 4)) as { error: string; message: string },
  };
}
