import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { appendFileSync, mkdtempSync, watch as fsWatch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Category } from '@tandem/models';
import { TRAILING_WAKES_MS, watchCommits } from '../src/sqlite-commit-watch.js';
import { createProduct, eventually, mapFeed } from './helpers.js';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';

const skip = testDialect() !== 'sqlite' && 'SQLite only: PostgreSQL wakes the feed with NOTIFY';

/**
 * Polls so rare that a test would time out waiting for one: every change below must arrive because a
 * write to the WAL woke the feed.
 */
const NEVER_POLLED = { pollMs: 60_000, fallbackPollMs: 600_000 };

let db: MigratedTestDatabase;
let productId: number;

before(async () => {
  if (skip) return;
  db = await createMigratedDatabase();
  const em = db.orm.em.fork();
  const product = createProduct(em, em.create(Category, { name: 'Cat', slug: 'cat' }), 'WATCHED');
  await em.flush();
  productId = product.id;
});

after(() => db?.close());

const stockOf = (fed: ReturnType<typeof mapFeed>) =>
  JSON.parse(fed.records.get('products')?.get(productId) ?? '{}').stock as number | undefined;

test('a commit by another connection wakes the SQLite feed without a poll', { skip }, async () => {
  const fed = mapFeed(db, NEVER_POLLED);
  await fed.feed.start();
  try {
    for (let stock = 10; stock < 15; stock++) {
      await db.orm.em
        .getConnection()
        .execute('update products set stock = ? where id = ?', [stock, productId]);
      await eventually(`stock ${stock} through the watched WAL`, () => stockOf(fed) === stock, 5000);
    }
  } finally {
    await fed.feed.close();
  }
});

/**
 * Another process's commit is written to the WAL before it is published, so the read its first write
 * wakes can miss it (sqlite-commit-watch.ts, TRAILING_WAKES_MS). One change at a time, each awaited:
 * without the trailing wakes some of these 200 wait for the next poll, ten minutes away.
 */
test('every commit of another process reaches the SQLite feed, each without a poll', { skip }, async () => {
  const fed = mapFeed(db, NEVER_POLLED);
  await fed.feed.start();
  const writer = startWriter(db.target.dialect === 'sqlite' ? db.target.path : '');
  try {
    for (let stock = 100; stock < 300; stock++) {
      await writer.write(stock);
      await eventually(`stock ${stock}, written by another process`, () => stockOf(fed) === stock, 5000);
    }
  } finally {
    await writer.close();
    await fed.feed.close();
  }
});

/** A child process with its own SQLite connection that sets the product's stock when told to. */
function startWriter(file: string) {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const source = `
    const Database = require(${JSON.stringify(driver)});
    const db = new Database(${JSON.stringify(file)});
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    const update = db.prepare('update products set stock = ? where id = ${productId}');
    require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
      update.run(Number(line));
      process.stdout.write(line + '\\n');
    });`;
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['-e', source]);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async write(stock: number): Promise<void> {
      child.stdin.write(`${stock}\n`);
      const { value } = await lines.next();
      assert.equal(value, String(stock), 'the writer committed the stock it was given');
    },
    async close(): Promise<void> {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** The watch alone, on a directory with a stand-in database and WAL file (no SQLite involved). */
async function watchedDirectory() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-watch-'));
  const file = path.join(dir, 'db.sqlite3');
  writeFileSync(file, '');
  writeFileSync(`${file}-wal`, '');
  const wakes: number[] = [];
  const watch = watchCommits(file, () => wakes.push(performance.now()), assert.fail);
  assert.ok(watch, 'a local directory can be watched');
  const settle = () => new Promise((resolve) => setTimeout(resolve, TRAILING_WAKES_MS.at(-1)! + 100));
  return { dir, file, wakes, watch, settle };
}

/**
 * Each write event wakes the feed once; the trailing wakes come on top, after the last event, however
 * late a loaded machine delivers the events. A second watcher on the directory counts the events the
 * watch was handed (libuv gives every watcher of a path the same events).
 */
test('a burst of WAL writes wakes the feed again after its last write', async () => {
  const { dir, file, wakes, watch, settle } = await watchedDirectory();
  let events = 0;
  const counter = fsWatch(dir, (_event, name) => {
    if (name === path.basename(`${file}-wal`)) events += 1;
  });
  try {
    for (let i = 0; i < 5; i++) appendFileSync(`${file}-wal`, 'frame');
    await settle();
    assert.ok(events > 0, 'the writes were seen');
    assert.ok(
      wakes.length >= events + TRAILING_WAKES_MS.length,
      `${wakes.length} wakes for ${events} events: a wake per event, then ${TRAILING_WAKES_MS.length} after the last`,
    );
  } finally {
    counter.close();
    watch.close();
  }
});

test('writes to other files of the directory do not wake the feed; close ends the watch', async () => {
  const { dir, file, wakes, watch, settle } = await watchedDirectory();
  appendFileSync(path.join(dir, 'other.log'), 'line');
  appendFileSync(`${file}-shm`, 'index');
  await settle();
  assert.equal(wakes.length, 0);
  watch.close();
  appendFileSync(`${file}-wal`, 'frame');
  await settle();
  assert.equal(wakes.length, 0, 'closed: no wake');
});
