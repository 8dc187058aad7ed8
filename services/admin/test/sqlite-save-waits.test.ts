/**
 * SQLite: a save made while another process writes (an applier selling the product being edited) waits
 * for it and then saves, instead of failing. A save reads the row and then writes; SQLite refuses that
 * write at once (SQLITE_BUSY_SNAPSHOT, no busy wait) when another connection committed in between, so
 * the save takes the database's write lock before it reads.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Product } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface ActionBody {
  record?: { params: Record<string, unknown> };
  notice?: { message: string; type: string };
}

/**
 * Another process's writer, on a thread of its own (better-sqlite3 blocks its thread while it waits for
 * a lock, so the writer must not share the admin's): it takes the write lock, sells one of the product,
 * says so, and commits `holdMs` later.
 */
function sellWhileHolding(file: string, productId: number, holdMs: number): Worker {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require('better-sqlite3');
    const db = new Database(workerData.file);
    db.pragma('busy_timeout = 5000');
    db.exec('begin immediate');
    db.prepare('update products set stock = stock - 1 where id = ?').run(workerData.productId);
    parentPort.postMessage('holding');
    setTimeout(() => {
      db.exec('commit');
      db.close();
      parentPort.postMessage('committed');
    }, workerData.holdMs);
  `;
  return new Worker(source, { eval: true, workerData: { file, productId, holdMs } });
}

describe('a save waits for another process writing on SQLite', () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  it(
    "edits a product while an applier sells it: saved once the sale commits, the sale's stock kept",
    { skip: testDialect() === 'postgresql' && 'PostgreSQL: rows are locked, not the database' },
    async () => {
      const target = fixture.db.target;
      assert.equal(target.dialect, 'sqlite');
      const id = fixture.ids.products[1]!;
      const stock = (await fixture.db.orm.em.fork().findOneOrFail(Product, id)).stock;
      const url = `/resources/Product/records/${id}/edit`;
      const opened = (await root.api<ActionBody>(url)).body.record?.params ?? {};
      const form = Object.fromEntries(
        Object.entries(opened).map(([key, value]) => [key, value === null ? '' : String(value)]),
      );

      const writer = sellWhileHolding(target.path, id, 300);
      const exited = once(writer, 'exit');
      const events: string[] = [];
      writer.on('message', (message: string) => events.push(message));
      const [first] = (await once(writer, 'message')) as [string];
      assert.equal(first, 'holding');
      try {
        const { status, body } = await root.api<ActionBody>(url, {
          form: { ...form, name: 'Rake, ash handle' },
        });
        assert.equal(status, 200);
        assert.equal(body.notice?.type, 'success', JSON.stringify(body));
        assert.deepEqual(events, ['holding', 'committed'], 'the save waited for the sale to commit');
      } finally {
        await exited;
      }
      const saved = await fixture.db.orm.em.fork().findOneOrFail(Product, id);
      assert.equal(saved.name, 'Rake, ash handle');
      assert.equal(saved.stock, stock - 1, "the sale's stock stands");
    },
  );
});
