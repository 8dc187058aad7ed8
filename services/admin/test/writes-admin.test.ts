/**
 * Writes in the admin (issue 15): staff see every write accepted by the fast service and its outcome
 * (status, collection, operation, writer, answer, timings), filter them, and open one; nobody, not
 * even a superuser or a role granting add/change/delete_write, creates, edits or deletes one: the
 * write path alone writes them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WRITE_STATUSES, Write, registry } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { deriveAdmin } from '../src/resources/derived.js';
import { staffWith } from './staff-support.js';
import { Client, startFixture, type Fixture } from './support.js';

interface ActionBody {
  records?: { id: string; params: Record<string, unknown> }[];
  record?: { id: string; params: Record<string, unknown>; recordActions?: { name: string }[] };
  notice?: { message: string; type: string };
  meta?: { total: number };
}

const ACCEPTED = new Date('2026-12-01T10:00:00.123Z');
const APPLIED = new Date('2026-12-01T10:00:00.150Z');

describe(`writes in the admin (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  const writeIds: number[] = [];

  before(async () => {
    fixture = await startFixture();
    const em = fixture.db.orm.em.fork();
    const base = { bodyHash: 'a'.repeat(64), partition: 0, acceptedAt: ACCEPTED };
    const writes = [
      em.create(Write, {
        ...base,
        subject: '7',
        collection: 'orders',
        op: 'create',
        recordId: '31',
        status: 'applied',
        httpStatus: 201,
        body: { lines: [{ productId: 1, quantity: 2 }] },
        idempotencyKey: 'order-1',
        appliedAt: APPLIED,
      }),
      em.create(Write, {
        ...base,
        subject: '7',
        collection: 'orders',
        op: 'create',
        status: 'rejected',
        httpStatus: 422,
        errors: { lines: 'Product 1 is out of stock.' },
        body: { lines: [{ productId: 1, quantity: 500 }] },
        appliedAt: APPLIED,
      }),
      em.create(Write, {
        ...base,
        subject: 'client:catalog-sync',
        collection: 'products',
        op: 'update',
        recordId: '3',
        status: 'queued',
        body: { stock: 4 },
        partition: 2,
      }),
    ];
    await em.flush();
    writeIds.push(...writes.map((write) => write.id));
    root = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
  });
  after(() => fixture.close());

  const ids = async (client: Client, query: string) => {
    const { status, body } = await client.api<ActionBody>(`/resources/Write/actions/list?${query}`);
    assert.equal(status, 200, JSON.stringify(body));
    return (body.records ?? []).map((record) => Number(record.id)).sort((a, b) => a - b);
  };

  it('lists writes with their outcome, filtered by status, collection and operation', async () => {
    assert.deepEqual(await ids(root, ''), writeIds);
    assert.deepEqual(await ids(root, 'filters.status=rejected'), [writeIds[1]]);
    assert.deepEqual(await ids(root, 'filters.collection=products'), [writeIds[2]]);
    assert.deepEqual(await ids(root, 'filters.op=update'), [writeIds[2]]);
    assert.deepEqual(await ids(root, 'filters.q=client%3Acatalog'), [writeIds[2]], 'search by writer');
    const { body } = await root.api<ActionBody>('/resources/Write/actions/list?filters.status=applied');
    const params = body.records?.[0]?.params ?? {};
    assert.equal(params.subject, '7');
    assert.equal(Number(params.httpStatus), 201);
    assert.equal(params.collection, 'orders');
  });

  it('shows one write: body and errors as JSON, the timings', async () => {
    const { status, body } = await root.api<ActionBody>(`/resources/Write/records/${writeIds[1]}/show`);
    assert.equal(status, 200);
    const params = body.record?.params ?? {};
    assert.equal(params.status, 'rejected');
    assert.deepEqual(JSON.parse(String(params.errors)), { lines: 'Product 1 is out of stock.' });
    assert.deepEqual(JSON.parse(String(params.body)), { lines: [{ productId: 1, quantity: 500 }] });
    assert.equal(new Date(String(params.acceptedAt)).getTime(), ACCEPTED.getTime());
    const actions = (body.record?.recordActions ?? []).map((action) => action.name);
    assert.ok(actions.includes('show'));
    for (const name of ['edit', 'delete']) assert.ok(!actions.includes(name), `${name} is not offered`);
  });

  it('the page is derived read-only: list columns and filters as declared, no form fields', () => {
    const model = registry.find((declaration) => declaration.name === 'Write')!;
    const { options, spec } = deriveAdmin(fixture.db.orm.getMetadata().get('Write'), model);
    assert.deepEqual(options.listProperties, [
      'id',
      'status',
      'collection',
      'op',
      'subject',
      'httpStatus',
      'acceptedAt',
      'appliedAt',
    ]);
    assert.deepEqual(options.filterProperties, ['q', 'status', 'collection', 'op', 'acceptedAt']);
    assert.deepEqual(options.editProperties, []);
    assert.deepEqual(
      options.properties?.status?.availableValues?.map((choice) => choice.value),
      [...WRITE_STATUSES],
    );
    assert.equal(spec.audited, false);
  });

  const refusedEverywhere = async (client: Client) => {
    const before = await fixture.db.orm.em.fork().find(Write, {}, { orderBy: { id: 'asc' } });
    const form = {
      subject: '1',
      collection: 'orders',
      op: 'create',
      status: 'applied',
      bodyHash: 'b'.repeat(64),
      partition: '0',
      acceptedAt: ACCEPTED.toISOString(),
    };
    const attempts: [string, { method?: string; form?: Record<string, string> }][] = [
      ['/resources/Write/actions/new', { form }],
      [`/resources/Write/records/${writeIds[0]}/edit`, { form: { status: 'rejected', httpStatus: '422' } }],
      [`/resources/Write/records/${writeIds[2]}/edit`, { form: { status: 'applied' } }],
      [`/resources/Write/records/${writeIds[0]}/delete`, { method: 'POST' }],
      [`/resources/Write/bulk/bulkDelete?recordIds=${writeIds.join(',')}`, { method: 'POST' }],
    ];
    for (const [path, init] of attempts) {
      const response = await client.api<ActionBody>(path, init);
      assert.equal(response.status, 403, `${path}: ${JSON.stringify(response.body)}`);
      assert.notEqual(response.body.notice?.type, 'success', path);
    }
    const after = await fixture.db.orm.em.fork().find(Write, {}, { orderBy: { id: 'asc' } });
    assert.deepEqual(
      after.map((write) => [write.id, write.status, write.httpStatus, write.subject]),
      before.map((write) => [write.id, write.status, write.httpStatus, write.subject]),
      'nothing was created, changed or deleted',
    );
  };

  it('refuses creating, editing and deleting writes, even to a superuser', async () => {
    await refusedEverywhere(root);
  });

  it('a role granting every write permission still only lets staff read writes', async () => {
    const staff = await staffWith(fixture, 'write-desk@example.com', [
      'view_write',
      'add_write',
      'change_write',
      'delete_write',
    ]);
    assert.deepEqual(await ids(staff, ''), writeIds);
    await refusedEverywhere(staff);
    const outsider = await staffWith(fixture, 'catalog-desk@example.com', ['view_product']);
    for (const path of ['/resources/Write/actions/list', `/resources/Write/records/${writeIds[0]}/show`]) {
      const response = await outsider.request(`/admin/api${path}`);
      assert.equal(response.status, 403, path);
      assert.doesNotMatch(await response.text(), /out of stock|catalog-sync/, path);
    }
  });
});
