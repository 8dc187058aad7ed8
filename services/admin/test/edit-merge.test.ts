/**
 * A save is merged with what its edit page showed: fields the staff member left alone are not written,
 * so a product that sells while its description is edited keeps the stock it sold (before, the save
 * was refused because the row had moved, and a product selling every few seconds could not be saved
 * at all); a field changed both in the form and meanwhile, to different values, refuses the save
 * whole. The forms here are sent as the edit page sends them: every param of the record it was given.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Product } from '@tandem/models';
import { testDialect, whileAnotherWriterHolds } from '@tandem/models/testing';
import { takeStock } from '@tandem/writes';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface ActionBody {
  record?: { params: Record<string, unknown>; errors?: Record<string, { message: string; type: string }> };
  notice?: { message: string; type: string };
}

describe(`an edit merged with what its page showed (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  /** Products of this test's own, 50 in stock each: one per case. */
  const products: number[] = [];

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    const fork = fixture.db.orm.em.fork();
    const created = Array.from({ length: 7 }, (_, i) =>
      fork.create(Product, {
        sku: `MERGE-${i}`,
        name: `Hammer ${i}`,
        priceCents: 1200,
        currency: 'EUR',
        stock: 50,
        category: fixture.ids.categories[0]!,
        tags: ['tools', 'steel'],
      }),
    );
    await fork.flush();
    products.push(...created.map((product) => product.id));
  });
  after(() => fixture.close());

  const em = () => fixture.db.orm.em.fork();
  const product = (id: number) => em().findOneOrFail(Product, id);
  const dialect = () => (fixture.db.target.dialect === 'postgresql' ? 'postgresql' : 'sqlite');
  const url = (id: number) => `/resources/Product/records/${id}/edit`;

  /** A record's params (flattened) as its form sends them back. */
  const formOf = (params: Record<string, unknown> = {}): Record<string, string> =>
    Object.fromEntries(
      Object.entries(params).map(([key, value]) => [key, value === null ? '' : String(value)]),
    );

  const withoutShown = (form: Record<string, string>) =>
    Object.fromEntries(Object.entries(form).filter(([key]) => key !== '$shown'));

  /** The edit page's record, as the form holds and sends it. */
  async function openEditPage(id: number): Promise<Record<string, string>> {
    const { body } = await root.api<ActionBody>(url(id));
    assert.equal(typeof body.record?.params.$shown, 'string', 'the page carries what it shows');
    return formOf(body.record?.params);
  }

  /** A sale as the applier makes one: the stock taken in its own transaction, updatedAt moved on. */
  async function sell(id: number, quantity: number): Promise<void> {
    // Timestamps of one millisecond can tie: the sale is later than the page, as it is in use.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await em().transactional(async (tx) => {
      assert.ok(await takeStock(tx, dialect(), id, quantity), 'enough stock for the sale');
    });
  }

  const save = async (id: number, form: Record<string, string>) =>
    (await root.api<ActionBody>(url(id), { form })).body;

  it('a description saved while the product sells: saved, and the stock sold meanwhile stays sold', async () => {
    const id = products[0]!;
    const stock = (await product(id)).stock;
    const form = await openEditPage(id);
    await sell(id, 3);
    await sell(id, 2);
    const body = await save(id, { ...form, description: 'Now with a longer handle.' });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    const saved = await product(id);
    assert.deepEqual([saved.description, saved.stock], ['Now with a longer handle.', stock - 5]);
    const entries = await em().find(AuditEntry, { model: 'Product', recordId: String(id), action: 'update' });
    assert.deepEqual(
      entries.map((entry) => Object.keys(entry.diff)),
      [['description']],
      'the audit names the one field written',
    );
    // The answer carries the saved record's values: the next save from the same form merges with those.
    const next = formOf(body.record?.params);
    await sell(id, 1);
    const again = await save(id, { ...next, name: 'Hammer, long handle' });
    assert.equal(again.notice?.type, 'success', JSON.stringify(again));
    assert.deepEqual(
      [(await product(id)).name, (await product(id)).stock],
      ['Hammer, long handle', stock - 6],
    );
  });

  it('a stock typed over a sale made meanwhile: refused whole, the field says what it is now; nothing saved', async () => {
    const id = products[1]!;
    const shown = (await product(id)).stock;
    const form = await openEditPage(id);
    await sell(id, 4);
    const body = await save(id, { ...form, stock: String(shown + 100), name: 'Renamed in the same save' });
    assert.equal(body.notice?.type, 'error', JSON.stringify(body));
    assert.match(
      body.notice?.message ?? '',
      /^Someone else changed this product's stock after this page was opened: nothing was saved\. Reload the page/,
    );
    assert.deepEqual(body.record?.errors?.stock, {
      type: 'conflict',
      message: `Changed to “${shown - 4}” meanwhile (this page showed “${shown}”).`,
    });
    const stored = await product(id);
    assert.deepEqual([stored.stock, stored.name === 'Renamed in the same save'], [shown - 4, false]);

    // Saved again from the same form, unchanged: judged against the same page, so refused again.
    const retried = await save(id, { ...formOf(body.record?.params), stock: String(shown + 100) });
    assert.equal(retried.notice?.type, 'error', JSON.stringify(retried));
    assert.equal((await product(id)).stock, shown - 4);

    // The value it now has, typed in: nothing to lose, saved.
    const same = await save(id, { ...form, stock: String(shown - 4), name: 'Renamed' });
    assert.equal(same.notice?.type, 'success', JSON.stringify(same));
    assert.equal((await product(id)).name, 'Renamed');
  });

  it('two staff members on the same product: each saves their own field, neither undoes the other', async () => {
    const id = products[2]!;
    const first = await openEditPage(id);
    const second = await openEditPage(id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal((await save(id, { ...first, priceCents: '4242' })).notice?.type, 'success');
    const body = await save(id, { ...second, description: 'Second opinion.' });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    const stored = await product(id);
    assert.deepEqual([stored.priceCents, stored.description], [4242, 'Second opinion.']);
    // The second form still showed the old price: had it changed it too, that is a conflict.
    const third = await save(id, { ...second, priceCents: '1' });
    assert.equal(third.notice?.type, 'error', JSON.stringify(third));
    assert.match(third.record?.errors?.priceCents?.message ?? '', /^Changed to “4242” meanwhile/);
  });

  it(
    'a sale committed while the save runs: the save waits for the row, then merges with the sale as committed',
    { skip: testDialect() !== 'postgresql' && 'SQLite has one writer at a time (no row locks to wait on)' },
    async () => {
      const id = products[3]!;
      const form = await openEditPage(id);
      const stock = (await product(id)).stock;
      const body = await whileAnotherWriterHolds(
        fixture.db.target.url,
        // The applier's batch: its stock UPDATE made and held, not yet committed.
        (writer) =>
          writer.query(`update products set stock = stock - 7, updated_at = now() where id = $1`, [id]),
        () => save(id, { ...form, description: 'Saved over a held sale.' }),
      );
      assert.equal(body.notice?.type, 'success', JSON.stringify(body));
      const stored = await product(id);
      assert.deepEqual([stored.description, stored.stock], ['Saved over a held sale.', stock - 7]);

      // A stock typed in while a sale is held: judged against the row as the sale left it, refused.
      const next = await openEditPage(id);
      const refused = await whileAnotherWriterHolds(
        fixture.db.target.url,
        (writer) =>
          writer.query(`update products set stock = stock - 1, updated_at = now() where id = $1`, [id]),
        () => save(id, { ...next, stock: '500' }),
      );
      assert.equal(refused.record?.errors?.stock?.type, 'conflict', JSON.stringify(refused));
      assert.equal((await product(id)).stock, stock - 8, 'the sale stands');
    },
  );

  it('a form without the page values (an API client) is still judged by the version it echoes', async () => {
    const id = products[4]!;
    const form = withoutShown(await openEditPage(id));
    await sell(id, 1);
    const response = await root.api<ActionBody>(url(id), { form: { ...form, description: 'x' } });
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.notEqual((await product(id)).description, 'x');
  });

  describe('attack: the page values as an attacker would send them', () => {
    it('anything but a JSON object of texts, flattened or nested, is refused with 400 and writes nothing', async () => {
      const id = products[5]!;
      const form = await openEditPage(id);
      const name = (await product(id)).name;
      const forged: Array<Record<string, string>> = [
        { $shown: 'not json' },
        { $shown: '["name"]' },
        { $shown: '{"name":1}' },
        { $shown: 'null' },
        { $shown: '', '$shown.name': name },
        { '$shown.name': name },
        { '$shown.0': '{}' },
      ];
      for (const shape of forged) {
        const rest = withoutShown(form);
        const { status, body } = await root.api<{ error?: string }>(url(id), {
          form: { ...rest, ...shape, name: 'Forged' },
        });
        assert.equal(status, 400, JSON.stringify(shape));
        assert.ok(['invalid_field', 'forbidden_field'].includes(body.error ?? ''), JSON.stringify(body));
      }
      assert.equal((await product(id)).name, name);
    });

    it('page values claiming a read-only field was shown otherwise write nothing to it', async () => {
      const id = products[5]!;
      const form = await openEditPage(id);
      const createdAt = (await product(id)).createdAt.toISOString();
      const shown = JSON.parse(form.$shown!) as Record<string, string>;
      const body = await save(id, {
        ...form,
        createdAt: '2000-01-01T00:00:00.000Z',
        id: '999',
        $shown: JSON.stringify({ ...shown, createdAt: '2000-01-01T00:00:00.000Z', id: '999' }),
        name: 'Only this',
      });
      assert.equal(body.notice?.type, 'success', JSON.stringify(body));
      const stored = await product(id);
      assert.deepEqual([stored.createdAt.toISOString(), stored.name], [createdAt, 'Only this']);
      assert.equal(await em().count(Product, { id: 999 }), 0);
    });

    it('page values naming __proto__ or constructor are only field names: nothing reaches a prototype', async () => {
      const id = products[5]!;
      const form = await openEditPage(id);
      const body = await save(id, {
        ...form,
        $shown: `{"__proto__":"x","constructor":"y",${form.$shown!.slice(1)}`,
        name: 'Plain',
      });
      assert.equal(body.notice?.type, 'success', JSON.stringify(body));
      assert.equal((await product(id)).name, 'Plain');
      assert.equal(({} as Record<string, unknown>).x, undefined);
    });

    it('a script as the value changed meanwhile comes back in the conflict message as it is, for the page to show as text', async () => {
      const id = products[6]!;
      const form = await openEditPage(id);
      const script = '<script>alert(1)</script>';
      const fork = em();
      (await fork.findOneOrFail(Product, id)).name = script;
      await fork.flush();
      const body = await save(id, { ...form, name: 'Mine' });
      assert.equal(body.notice?.type, 'error');
      assert.equal(
        body.record?.errors?.name?.message,
        `Changed to “${script}” meanwhile (this page showed “Hammer 6”).`,
      );
      assert.equal((await product(id)).name, script);
    });
  });
});
