/**
 * TRUNCATE of a hot table reaches the feed as a delete of every row it emptied (change capture v2).
 * Row triggers do not fire on TRUNCATE: under v1 the feed saw nothing and fast kept serving the rows.
 * A TRUNCATE of sessions (or of users, CASCADE) revokes every session it emptied.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Category } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { createProduct, eventually, mapFeed, seededFeed } from './helpers.js';

const skip = testDialect() !== 'postgresql' && 'PostgreSQL only: SQLite has no TRUNCATE';

let fixture: Awaited<ReturnType<typeof seededFeed>>;
const sql = (query: string): Promise<unknown> => fixture.db.orm.em.getConnection().execute(query);

before(async () => {
  if (skip) return;
  fixture = await seededFeed((em) => {
    const tools = em.create(Category, { name: 'Tools', slug: 'tools' });
    for (const sku of ['HAMMER', 'SAW', 'DRILL']) createProduct(em, tools, sku);
  });
});

after(() => fixture?.close());

test(
  'a rolled-back TRUNCATE changes nothing; a committed one deletes every row in the feed',
  { skip },
  async () => {
    const products = () => fixture.records.get('products')!;
    assert.equal(products().size, 3);

    await sql('begin; truncate products cascade; rollback;');
    // A change after the rollback: once the feed has it, it has read past the rolled-back TRUNCATE.
    await sql(`update categories set name = 'Hand tools' where slug = 'tools'`);
    await eventually('the category renamed after the rollback', () =>
      [...fixture.records.get('categories')!.values()].some((j) => j.includes('Hand tools')),
    );
    assert.equal(products().size, 3, 'a rolled-back TRUNCATE deletes nothing');

    await sql('truncate products cascade');
    await eventually('the truncated products gone from the feed', () => products().size === 0);
    const deletes = fixture.changes.filter((c) => c.collection === 'products' && c.json === null);
    assert.equal(deletes.length, 3, 'one delete per truncated row');
    assert.equal(fixture.records.get('categories')!.size, 1, 'a table not truncated keeps its rows');
  },
);

test(
  'a TRUNCATE of users (CASCADE) revokes their sessions, in the feed and in a new snapshot',
  { skip },
  async () => {
    await sql(`insert into users (email, password_hash) values ('t@example.com', 'x')`);
    await sql(
      `insert into sessions (id, user_id, grant_type, expires_at)
       select sid, (select id from users where email = 't@example.com'), 'password', now() + interval '1 day'
         from unnest(array['sid-a', 'sid-b']) sid`,
    );
    await sql('truncate users cascade');
    await eventually('the truncated sessions revoked', () =>
      ['sid-a', 'sid-b'].every((sid) => fixture.revoked.has(sid)),
    );
    // A node started now has no row to learn it from: only the outbox's delete events say so.
    const restarted = mapFeed(fixture.db);
    try {
      await restarted.feed.start();
      assert.ok(
        restarted.revoked.has('sid-a') && restarted.revoked.has('sid-b'),
        'revoked in a new snapshot',
      );
    } finally {
      await restarted.feed.close();
    }
  },
);
