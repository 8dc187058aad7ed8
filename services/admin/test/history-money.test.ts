/**
 * Issue 16, history reads money as the list does: each money amount in a record's history comes with
 * the currency it was in at that change (the model's `money` declaration), on the record's show page
 * and on the audit entry's, even when a change moved the amount alone or the currency with it, and
 * after the record is deleted. (components/History.jsx formats them with Money.jsx's formatMoney.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, type FieldDiff } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { entryCurrencies } from '../src/history/money-currencies.js';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface ShowAnswer {
  record?: { params: Record<string, unknown> };
}
interface HistoryEntry {
  id: number;
  action: string;
  diff: FieldDiff;
  currencies: Record<string, { before: string | null; after: string | null }>;
}

describe('entryCurrencies', () => {
  const change = (before: unknown, after: unknown) => ({ before, after });

  it('walks back from the stored currency through the changes that moved it', () => {
    const newestFirst: FieldDiff[] = [
      { priceCents: change(500, 600) },
      { priceCents: change(4200, 500), currency: change('USD', 'JPY') },
      { name: change('Pan', 'Frying pan') },
      { priceCents: change(3900, 4200) },
    ];
    assert.deepEqual(entryCurrencies('Product', newestFirst, { currency: 'JPY' }), [
      { priceCents: { before: 'JPY', after: 'JPY' } },
      { priceCents: { before: 'USD', after: 'JPY' } },
      {},
      { priceCents: { before: 'USD', after: 'USD' } },
    ]);
  });

  it('a deleted record: the delete entry says what the currency was', () => {
    const newestFirst: FieldDiff[] = [
      { priceCents: change(700, null), currency: change('GBP', null) },
      { priceCents: change(650, 700) },
    ];
    assert.deepEqual(entryCurrencies('Product', newestFirst, null), [
      { priceCents: { before: 'GBP', after: null } },
      { priceCents: { before: 'GBP', after: 'GBP' } },
    ]);
  });

  it('a model without money, or a currency that is not text, gives none', () => {
    assert.deepEqual(entryCurrencies('Category', [{ name: change('a', 'b') }], { name: 'b' }), [{}]);
    assert.deepEqual(entryCurrencies('Product', [{ priceCents: change(1, 2) }], { currency: 42 }), [
      { priceCents: { before: null, after: null } },
    ]);
  });
});

describe(`history gives money amounts their currencies (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  const edit = async (id: number, form: Record<string, string>) =>
    assert.equal((await root.api(`/resources/Product/records/${id}/edit`, { form })).status, 200);

  it('on the show page and on each audit entry’s page', async () => {
    const pan = fixture.ids.products[2]!; // 3900 USD
    await edit(pan, { priceCents: '4200' });
    await edit(pan, { priceCents: '500', currency: 'JPY' });
    await edit(pan, { name: 'Frying pan (cast iron)' });
    await edit(pan, { priceCents: '600' });

    const { body } = await root.api<ShowAnswer>(`/resources/Product/records/${pan}/show`);
    const history = JSON.parse(String(body.record?.params.history)) as HistoryEntry[];
    assert.deepEqual(
      history.map((entry) => [entry.diff.priceCents, entry.currencies]),
      [
        [{ before: 500, after: 600 }, { priceCents: { before: 'JPY', after: 'JPY' } }],
        [undefined, {}],
        [{ before: 4200, after: 500 }, { priceCents: { before: 'USD', after: 'JPY' } }],
        [{ before: 3900, after: 4200 }, { priceCents: { before: 'USD', after: 'USD' } }],
      ],
    );

    const oldest = history.at(-1)!;
    const audit = await root.api<ShowAnswer>(`/resources/AuditEntry/records/${oldest.id}/show`);
    assert.deepEqual(JSON.parse(String(audit.body.record?.params.moneyJson)), {
      priceCents: { before: 'USD', after: 'USD' },
    });
  });

  it('after the record is deleted, from the delete entry', async () => {
    const rake = fixture.ids.products[1]!; // 1500 EUR
    await edit(rake, { priceCents: '1600' });
    const deleted = await root.api(`/resources/Product/records/${rake}/delete`, { method: 'POST' });
    assert.equal(deleted.status, 200);
    const entry = await fixture.db.orm.em
      .fork()
      .findOneOrFail(AuditEntry, { model: 'Product', recordId: String(rake), action: 'update' });
    const audit = await root.api<ShowAnswer>(`/resources/AuditEntry/records/${entry.id}/show`);
    assert.deepEqual(JSON.parse(String(audit.body.record?.params.moneyJson)), {
      priceCents: { before: 'EUR', after: 'EUR' },
    });
  });

  it('an audit entry of a model without money has none', async () => {
    const [tools] = fixture.ids.categories;
    await root.api(`/resources/Category/records/${tools}/edit`, { form: { name: 'Garden tools & seeds' } });
    const entry = await fixture.db.orm.em
      .fork()
      .findOneOrFail(AuditEntry, { model: 'Category', recordId: String(tools) });
    const audit = await root.api<ShowAnswer>(`/resources/AuditEntry/records/${entry.id}/show`);
    assert.deepEqual(JSON.parse(String(audit.body.record?.params.moneyJson)), {});
  });
});
