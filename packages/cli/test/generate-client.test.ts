import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hotProjections } from '@tandem/models';
import {
  clientCollectionsFile,
  clientCollectionsSource,
  committedClientCollections,
} from '../src/generate/client-collections.js';
import { ClientGenerationError } from '../src/generate/openapi-collections.js';
import { tandem } from './helpers.js';

// Metadata only: the ORM is opened without connecting, so no database is created here.
const sqlitePath = path.join(tmpdir(), 'tandem-generate-client.sqlite3');
const target = { dialect: 'sqlite', path: sqlitePath, url: `sqlite:${sqlitePath}` } as const;

test('the committed @tandem/client types match the models (else: run `npx tandem generate client`)', async () => {
  const expected = await clientCollectionsSource(target);
  const committed = await committedClientCollections();
  assert.ok(
    committed !== undefined,
    `${clientCollectionsFile()} is missing: run \`npx tandem generate client\``,
  );
  assert.equal(
    committed,
    expected,
    `${clientCollectionsFile()} is stale: run \`npx tandem generate client\` and commit the result`,
  );
});

test('a changed projection changes the generated types (the staleness check can see it)', async () => {
  const products = hotProjections.find((projection) => projection.collection === 'products')!;
  const changed = hotProjections.map((projection) =>
    projection === products
      ? {
          ...projection,
          fields: { ...projection.fields, published: 'published' },
          filterable: ['categoryId', 'published'],
        }
      : projection,
  );
  const source = await clientCollectionsSource(target, changed);
  assert.notEqual(source, await clientCollectionsSource(target));
  const product = source.slice(source.indexOf('export interface Product {'));
  assert.match(product.slice(0, product.indexOf('\n}\n')), /\n {2}published: boolean;$/);
  assert.match(
    source,
    /export interface ProductFilters \{\n {2}categoryId\?: number;\n {2}published\?: boolean;\n\}/,
  );
});

test('a collection that stops taking a write loses its body type and its runtime flag', async () => {
  const products = hotProjections.find((projection) => projection.collection === 'products')!;
  const readOnly = hotProjections.map((projection) =>
    projection === products
      ? { ...projection, writes: { ...projection.writes!, update: undefined } }
      : projection,
  );
  const source = await clientCollectionsSource(target, readOnly);
  assert.match(source, /export interface ProductCreate \{/);
  assert.doesNotMatch(source, /ProductPatch/);
  assert.match(
    source,
    /products: \{\n {4}record: Product;\n {4}filters: ProductFilters;\n {4}create: ProductCreate;\n {4}patch: never;/,
  );
  assert.match(source, /writes: \{ scope: 'products:write', create: true, update: false, delete: true \}/);
});

test('a projection naming a missing property is refused with the property named', async () => {
  const broken = [{ ...hotProjections[0]!, fields: { id: 'id', colour: 'colour' } }];
  await assert.rejects(
    clientCollectionsSource(target, broken),
    (error: unknown) =>
      error instanceof ClientGenerationError && error.message.includes('no property colour'),
  );
});

test('tandem generate client writes the file; --check passes on it and fails on a stale copy', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-generate-'));
  const out = path.join(dir, 'collections.ts');
  const env = { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite3')}`, LOG_LEVEL: 'silent' };
  try {
    const written = await tandem(['generate', 'client', '--out', out], env);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(readFileSync(out, 'utf8'), await clientCollectionsSource(target));

    const fresh = await tandem(['generate', 'client', '--check', '--out', out], env);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /up to date/);

    writeFileSync(out, readFileSync(out, 'utf8').replace('priceCents: number;', 'priceCents: string;'));
    const stale = await tandem(['generate', 'client', '--check', '--out', out], env);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /is stale/);
    assert.match(stale.stderr, /npx tandem generate client/);

    const usage = await tandem(['generate', 'server'], env);
    assert.equal(usage.code, 2);
    // It reads the models, not the database: none is made at DATABASE_URL's path.
    assert.deepEqual(readdirSync(dir), ['collections.ts']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
