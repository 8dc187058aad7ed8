/**
 * The README's "Add your own model" replayed on a scratch copy of the repository, as a user would: the
 * model file and the registry line are taken from the README's code blocks (the only two files edited),
 * then models are built, `makemigrations` writes both dialects, `generate client` regenerates the typed
 * client, `migrate` applies the migration, and the copy's services start. The new `stores` model is then
 * used in the admin (Chromium: create a store, edit it), in fast (HTTP and a WebSocket change), in
 * `/openapi.json`, and through the regenerated client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import {
  createTestDatabase,
  eventually,
  sqlitePassOnly,
  testDialect,
  type TestDatabase,
} from '@tandem/models/testing';
import { E2E_SECRET_KEY, STAFF_PASSWORD } from '../support/admin-process.js';
import { browserSkip, launchChromium } from '../support/browser.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { scratchRepository, type ScratchRepository } from '../support/scratch-repo.js';
import { withServiceLogs } from '../support/token-services.js';

const run = promisify(execFile);
const skip =
  browserSkip('the tutorial replay') ||
  sqlitePassOnly(
    'the replay runs makemigrations for both dialects; applying migrations a model file generates is checked on PostgreSQL by the CLI tests, and CI has 30 minutes',
  );
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const ADMIN_EMAIL = 'tutorial-admin@example.com';
/** The copy's services load everything cold (no warm file cache): more room than the usual 30 s. */
const STARTUP_TIMEOUT_MS = 120_000;
const READER = { email: 'tutorial-reader@example.com', password: 'tutorial reader password' };

let scratch: ScratchRepository;
let db: TestDatabase;
let env: Record<string, string>;
const services: ServiceProcess[] = [];
let browser: { context: BrowserContext; profile: string } | undefined;

/** The fenced code blocks of the README section "Add your own model", in order. */
function tutorialBlocks(readme: string): { lang: string; code: string }[] {
  const section = readme.slice(readme.indexOf('## Add your own model'));
  const end = section.indexOf('\n## ', 5);
  return [...section.slice(0, end).matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((match) => ({
    lang: match[1]!,
    code: match[2]!,
  }));
}

/** Runs a command in the scratch copy, as `npx`/`npm run` would; fails the test with its output. */
async function inScratch(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, args, {
      cwd: scratch.root,
      env: { ...env, ...extraEnv },
      maxBuffer: 16 << 20,
    });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`${args.join(' ')} failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}
const tandem = (...args: string[]) => inScratch([scratch.path('packages/cli/bin/tandem.js'), ...args]);
/** `tandem createuser` with the password in TANDEM_PASSWORD, as the README shows (not in `ps`). */
const createUser = (password: string, ...args: string[]) =>
  inScratch([scratch.path('packages/cli/bin/tandem.js'), 'createuser', ...args], {
    TANDEM_PASSWORD: password,
  });
const build = (workspace: string) => inScratch([tsc, '-p', scratch.path(`${workspace}/tsconfig.json`)]);

before(async () => {
  if (skip) return;
  scratch = scratchRepository();
  db = await createTestDatabase();
  env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    TANDEM_SECRET_KEY: E2E_SECRET_KEY,
    TANDEM_DATA_DIR: scratch.path('.data'),
  };
});

after(async () => {
  await browser?.context.close();
  if (browser) rmSync(browser.profile, { recursive: true, force: true });
  for (const service of [...services].reverse()) await service.stop();
  await db?.drop();
  scratch?.remove();
});

test(
  `the "Add your own model" tutorial, replayed on a scratch copy (${testDialect()})`,
  { skip },
  async (t) => {
    await t.test('edit two files: the model file and the registry line, from the README', () => {
      const blocks = tutorialBlocks(readFileSync(scratch.path('README.md'), 'utf8'));
      const [model, registry] = blocks.filter((block) => block.lang === 'ts');
      assert.ok(model && registry, 'the README section has the model file and the registry line');
      writeFileSync(scratch.path('packages/models/src/entities/store.ts'), model.code);
      const registryFile = scratch.path('packages/models/src/registry.ts');
      const importLine = registry.code.split('\n').find((line) => line.startsWith('import '))!;
      const entryLine = registry.code.split('\n').find((line) => line.trim() === 'storeModel,')!;
      const source = readFileSync(registryFile, 'utf8');
      assert.ok(
        source.includes('  categoryModel,\n'),
        'the registry lists categoryModel, as the README shows',
      );
      writeFileSync(
        registryFile,
        `${importLine}\n${source.replace('  categoryModel,\n', `  categoryModel,\n${entryLine}\n`)}`,
      );
    });

    await t.test('build, makemigrations (both dialects), generate client, migrate', async () => {
      await build('packages/models');
      const made = await tandem('makemigrations', '--name', 'add_store');
      for (const dialect of ['sqlite', 'postgresql']) {
        const file = readdirSync(scratch.path(`packages/models/migrations/${dialect}`)).find((name) =>
          name.endsWith('_add_store.ts'),
        );
        assert.ok(file, `no ${dialect} migration in:\n${made}`);
        const migration = readFileSync(scratch.path(`packages/models/migrations/${dialect}/${file}`), 'utf8');
        assert.match(migration, /stores/);
        assert.match(migration, /changeCaptureSql/, 'the hot table gets its triggers from the helper');
      }
      await build('packages/models');
      await tandem('generate', 'client');
      const generated = readFileSync(scratch.path('packages/client/src/generated/collections.ts'), 'utf8');
      assert.match(generated, /export interface Store \{/);
      assert.match(generated, /export interface StoreFilters \{\n {2}city\?: string;\n\}/);
      await build('packages/client');
      await tandem('migrate');
      await createUser(STAFF_PASSWORD, ADMIN_EMAIL, '--staff', '--superuser');
      await tandem('seed', '--products', '1');
      await createUser(READER.password, READER.email, '--role', 'reader');
    });

    await t.test("start the copy's services", async () => {
      const base = { ...env, HOST: '127.0.0.1' };
      const auth = await startServiceProcess('auth', scratch.path('services/auth/dist/src/main.js'), {
        env: { ...base, AUTH_PORT: '0' },
        timeoutMs: STARTUP_TIMEOUT_MS,
      });
      services.push(auth);
      services.push(
        await startServiceProcess('fast', scratch.path('services/fast/dist/src/main.js'), {
          env: { ...base, FAST_PORT: '0', TOKEN_ISSUER: auth.url, FEED_POLL_MS: '10' },
          timeoutMs: STARTUP_TIMEOUT_MS,
        }),
      );
      services.push(
        await startServiceProcess('admin', scratch.path('services/admin/dist/src/main.js'), {
          env: { ...base, ADMIN_PORT: '0' },
          timeoutMs: STARTUP_TIMEOUT_MS,
        }),
      );
    });

    const [auth, fast, admin] = services as [ServiceProcess, ServiceProcess, ServiceProcess];
    await withServiceLogs(services, async () => {
      // The regenerated client, as built in the copy (its types were checked by that build).
      const clientModule = (await import(
        pathToFileURL(scratch.path('packages/client/dist/src/index.js')).href
      )) as typeof import('@tandem/client');
      const client = clientModule.createTandemClient({ authUrl: auth.url, fastUrl: fast.url });
      await client.tokens.password({ username: READER.email, password: READER.password });
      const changes: { op: string; data: { name?: string } | null }[] = [];
      // The repository's own client types know no `stores`: the copy's generated ones do.
      const live = client.live.subscribe('stores' as 'products', (change) => changes.push(change));
      await live.ready;

      let page: Page;
      await t.test('admin (Chromium): log in and create a store', async () => {
        browser = await launchChromium();
        page = await browser.context.newPage();
        await page.goto(`${admin.url}/admin/login`);
        await page.fill('input[name="email"]', ADMIN_EMAIL);
        await page.fill('input[name="password"]', STAFF_PASSWORD);
        await page.click('form button');
        await page.waitForURL(/\/admin(\/|$)/);
        await page.goto(`${admin.url}/admin/resources/Store/actions/new`);
        await page.fill('#name', 'Tandem Lyon');
        await page.fill('#city', 'Lyon');
        await page.fill('#opensAt', '09:30');
        await page.click('[data-testid="button-save"]');
        // Saved: the form is left (a refused save stays on it, errors next to the fields).
        await page.waitForURL((url) => !url.pathname.endsWith('/actions/new'));
      });

      await t.test("the role editor offers the new model's four permissions", async () => {
        await page.goto(`${admin.url}/admin/resources/Role/actions/new`);
        const matrix = page.getByTestId('permission-matrix');
        await matrix.waitFor();
        for (const action of ['view', 'add', 'change', 'delete'])
          assert.equal(
            await matrix.locator(`input[data-codename="${action}_store"]`).count(),
            1,
            `${action}_store`,
          );
      });

      const stores = (client.collections as unknown as Record<string, typeof client.collections.products>)
        .stores;
      assert.ok(stores, 'the regenerated client has a stores collection');
      let id = 0;
      await t.test(
        'fast serves it over HTTP (filtered by city) and pushed it over the WebSocket',
        async () => {
          await eventually('fast serves the new store', async () => {
            const page = await stores.list({ city: 'Lyon' } as never);
            id = (page.items[0] as unknown as { id: number } | undefined)?.id ?? 0;
            return id > 0;
          });
          const store = (await stores.get(id)) as unknown as Record<string, unknown>;
          assert.equal(store.name, 'Tandem Lyon');
          assert.equal(store.opensAt, '09:30');
          assert.equal(store.active, true);
          await eventually('the WebSocket change arrives', () =>
            changes.some((change) => change.op === 'upsert' && change.data?.name === 'Tandem Lyon'),
          );
        },
      );

      await t.test('an edit in the admin reaches the WebSocket subscriber and the HTTP read', async () => {
        await page.goto(`${admin.url}/admin/resources/Store/records/${id}/edit`);
        await page.fill('#name', 'Tandem Lyon Part-Dieu');
        await page.click('[data-testid="button-save"]');
        await page.waitForURL((url) => !url.pathname.endsWith('/edit'));
        await eventually('the edit is pushed', () =>
          changes.some((change) => change.data?.name === 'Tandem Lyon Part-Dieu'),
        );
        const store = (await stores.get(id)) as unknown as Record<string, unknown>;
        assert.equal(store.name, 'Tandem Lyon Part-Dieu');
        assert.equal((await stores.list({ city: 'Paris' } as never)).items.length, 0);
      });

      await t.test('/openapi.json describes the collection', async () => {
        const document = (await (await fetch(`${fast.url}/openapi.json`)).json()) as {
          paths: Record<string, unknown>;
          components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
        };
        assert.ok(document.paths['/v1/stores'] && document.paths['/v1/stores/{id}']);
        assert.deepEqual(Object.keys(document.components.schemas.Store?.properties ?? {}).sort(), [
          'active',
          'city',
          'id',
          'name',
          'opensAt',
          'updatedAt',
        ]);
      });
      client.close();
    });
  },
);
