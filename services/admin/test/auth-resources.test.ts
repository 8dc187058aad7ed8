import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Client as ClientEntity, Session, SigningKey, User } from '@tandem/models';
import { ClientSecretHasher, ensureSigningKeys } from '@tandem/tokens';
import { Client, startFixture, type Fixture } from './support.js';

/** Must match the fixture's TANDEM_SECRET_KEY (see support.ts). */
const SECRET_KEY = 'test-secret-key-that-is-long-enough-0123456789';

interface RecordJson {
  id: string;
  params: Record<string, unknown>;
}
interface ActionBody {
  record?: RecordJson;
  records?: RecordJson[];
  notice?: { message: string; type: string };
  redirectUrl?: string;
}

describe('auth models in the admin: sessions, signing keys, clients', () => {
  let fixture: Fixture;
  let root: Client;
  let editor: Client;

  before(async () => {
    fixture = await startFixture();
    root = new Client(fixture.origin);
    editor = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
    assert.equal((await editor.login('editor@example.com')).status, 302);
  });
  after(() => fixture.close());

  const addSession = async (owner: { user?: number; client?: number }, grantType?: string) => {
    const em = fixture.db.orm.em.fork();
    const id = randomUUID();
    em.create(Session, {
      id,
      user: owner.user ? em.getReference(User, owner.user) : null,
      client: owner.client ? em.getReference(ClientEntity, owner.client) : null,
      grantType: grantType ?? (owner.user ? 'password' : 'client_credentials'),
      scope: 'catalog:read',
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    await em.flush();
    return id;
  };

  it('creates a client and shows its secret exactly once; only its HMAC is stored', async () => {
    const created = await root.api<ActionBody>('/resources/Client/actions/new', {
      form: { name: 'Catalog sync', 'scopes.0': 'catalog:read' },
    });
    assert.equal(created.body.notice?.type, 'success', JSON.stringify(created.body));
    const id = created.body.record!.id;
    assert.match(String(created.body.redirectUrl), new RegExp(`/resources/Client/records/${id}/show`));
    assert.equal(created.body.record!.params.secretHash, undefined);

    const first = await root.api<ActionBody>(`/resources/Client/records/${id}/show`);
    const secret = String(first.body.record!.params.clientSecret);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    const row = await fixture.db.orm.em.fork().findOneOrFail(ClientEntity, Number(id));
    assert.ok(new ClientSecretHasher(SECRET_KEY).verify(secret, row.secretHash));
    assert.deepEqual(row.scopes, ['catalog:read']);
    assert.match(row.clientId, /^tc_/);

    const second = await root.api<ActionBody>(`/resources/Client/records/${id}/show`);
    assert.doesNotMatch(String(second.body.record!.params.clientSecret), /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!JSON.stringify(second.body).includes(secret));
    const list = await root.api<ActionBody>('/resources/Client/actions/list');
    assert.ok(!JSON.stringify(list.body).includes(row.secretHash), 'the hash is never sent either');

    // Its page has its history, as every audited model's does.
    const renamed = await root.api<ActionBody>(`/resources/Client/records/${id}/edit`, {
      form: { name: 'Catalog sync (nightly)' },
    });
    assert.equal(renamed.body.notice?.type, 'success', JSON.stringify(renamed.body));
    const third = await root.api<ActionBody>(`/resources/Client/records/${id}/show`);
    const history = JSON.parse(String(third.body.record!.params.history)) as { action: string }[];
    assert.deepEqual(
      history.map((entry) => entry.action),
      ['update', 'create'],
      'the client page shows its history',
    );
  });

  it('creates an app that signs people in: redirect URIs, origins, grants, public (no secret shown), first-party', async () => {
    const created = await root.api<ActionBody>('/resources/Client/actions/new', {
      form: {
        name: 'Shop front',
        'scopes.0': 'catalog:read',
        'grantTypes.0': 'authorization_code',
        'grantTypes.1': 'refresh_token',
        'redirectUris.0': 'https://shop.example/callback',
        'allowedOrigins.0': 'https://shop.example',
        isPublic: 'true',
        isFirstParty: 'true',
      },
    });
    assert.equal(created.body.notice?.type, 'success', JSON.stringify(created.body));
    const id = created.body.record!.id;
    const row = await fixture.db.orm.em.fork().findOneOrFail(ClientEntity, Number(id));
    assert.deepEqual(row.grantTypes, ['authorization_code', 'refresh_token']);
    assert.deepEqual(row.redirectUris, ['https://shop.example/callback']);
    assert.deepEqual(row.allowedOrigins, ['https://shop.example']);
    assert.equal(row.isPublic, true);
    assert.equal(row.isFirstParty, true);
    const shown = await root.api<ActionBody>(`/resources/Client/records/${id}/show`);
    assert.doesNotMatch(String(shown.body.record!.params.clientSecret), /^[A-Za-z0-9_-]{43}$/);

    // An unsafe redirect URI is a field error, and public cannot be switched afterwards.
    const edited = await root.api<ActionBody>(`/resources/Client/records/${id}/edit`, {
      form: { 'redirectUris.0': 'http://evil.example/cb', isPublic: 'false' },
    });
    assert.match(JSON.stringify(edited.body), /http only on a loopback host/);
    const flipped = await root.api<ActionBody>(`/resources/Client/records/${id}/edit`, {
      form: { isPublic: 'false', isFirstParty: 'false' },
    });
    assert.equal(flipped.body.notice?.type, 'success', JSON.stringify(flipped.body));
    const after = await fixture.db.orm.em.fork().findOneOrFail(ClientEntity, Number(id));
    assert.equal(after.isPublic, true);
    assert.equal(after.isFirstParty, false);
  });

  it('deactivating a client (POST only) revokes its sessions', async () => {
    const created = await root.api<ActionBody>('/resources/Client/actions/new', {
      form: { name: 'Doomed', 'scopes.0': 'catalog:read' },
    });
    const id = Number(created.body.record!.id);
    const sid = await addSession({ client: id });
    await root.api<ActionBody>(`/resources/Client/bulk/deactivate?recordIds=${id}`);
    assert.equal(
      (await fixture.db.orm.em.fork().findOneOrFail(ClientEntity, id)).isActive,
      true,
      'GET changes nothing',
    );
    const done = await root.api<ActionBody>(`/resources/Client/bulk/deactivate?recordIds=${id}`, {
      method: 'POST',
    });
    assert.equal(done.body.notice?.type, 'success');
    assert.equal((await fixture.db.orm.em.fork().findOneOrFail(ClientEntity, id)).isActive, false);
    const session = await fixture.db.orm.em.fork().findOneOrFail(Session, { id: sid });
    assert.ok(session.revokedAt);
    assert.equal(session.revokedReason, 'client_deactivated');
  });

  it('revokes a session on POST only, audited; already revoked sessions stay as they were', async () => {
    const sid = await addSession({ user: fixture.ids.editor });
    const list = await root.api<ActionBody>('/resources/Session/actions/list');
    assert.ok(list.body.records?.some((record) => record.id === sid));
    await root.api<ActionBody>(`/resources/Session/bulk/revoke?recordIds=${sid}`);
    assert.equal((await fixture.db.orm.em.fork().findOneOrFail(Session, { id: sid })).revokedAt, null);
    const done = await root.api<ActionBody>(`/resources/Session/bulk/revoke?recordIds=${sid}`, {
      method: 'POST',
    });
    assert.match(String(done.body.notice?.message), /Revoked 1 of 1/);
    const session = await fixture.db.orm.em.fork().findOneOrFail(Session, { id: sid });
    assert.ok(session.revokedAt);
    assert.equal(session.revokedReason, 'staff');
    const entries = await fixture.db.orm.em.fork().find(AuditEntry, { model: 'Session', recordId: sid });
    assert.deepEqual(
      entries.map((entry) => entry.action),
      ['revoke'],
    );
    const again = await root.api<ActionBody>(`/resources/Session/bulk/revoke?recordIds=${sid}`, {
      method: 'POST',
    });
    assert.match(String(again.body.notice?.message), /Revoked 0 of 1/);
  });

  it('a session of the authorization code flow shows its grant type, is found by it and revoked', async () => {
    const code = await addSession({ user: fixture.ids.editor }, 'authorization_code');
    const password = await addSession({ user: fixture.ids.editor });
    const list = await root.api<ActionBody>(
      '/resources/Session/actions/list?filters.grantType=authorization_code&perPage=500',
    );
    const ids = list.body.records?.map((record) => record.id) ?? [];
    assert.ok(ids.includes(code), 'the code-flow session is listed under its grant type');
    assert.ok(!ids.includes(password), 'a password session is not');
    const show = await root.api<ActionBody>(`/resources/Session/records/${code}/show`);
    assert.equal(show.body.record?.params.grantType, 'authorization_code');
    const done = await root.api<ActionBody>(`/resources/Session/bulk/revoke?recordIds=${code}`, {
      method: 'POST',
    });
    assert.match(String(done.body.notice?.message), /Revoked 1 of 1/);
  });

  it('signing keys are read-only and never expose private material', async () => {
    await ensureSigningKeys(fixture.db.orm.em, SECRET_KEY);
    const stored = await fixture.db.orm.em.fork().find(SigningKey, {}, { populate: ['privateKeyEncrypted'] });
    const list = await root.api<ActionBody>('/resources/SigningKey/actions/list');
    assert.equal(list.body.records?.length, 2);
    const show = await root.api<ActionBody>(`/resources/SigningKey/records/${stored[0]!.id}/show`);
    const text = JSON.stringify([list.body, show.body]);
    for (const key of stored)
      assert.ok(!text.includes(key.privateKeyEncrypted!.split('.')[2]!), 'ciphertext absent');
    assert.ok(!/privateKey/i.test(text));
    const edit = await root.api(`/resources/SigningKey/records/${stored[0]!.id}/edit`, {
      method: 'POST',
      form: { state: 'retired' },
    });
    assert.equal(edit.status, 403);
    const del = await root.api(`/resources/SigningKey/records/${stored[0]!.id}/delete`, { method: 'POST' });
    assert.equal(del.status, 403);
  });

  it('staff without the permissions see none of it', async () => {
    for (const resource of ['Session', 'SigningKey', 'Client']) {
      const { status } = await editor.api(`/resources/${resource}/actions/list`);
      assert.equal(status, 403, resource);
    }
  });
});
