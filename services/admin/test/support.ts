/**
 * Test support: a migrated database with staff users and a catalog, the admin started in-process on
 * port 0, and a tiny cookie-keeping HTTP client (no browser; the e2e suite covers the UI).
 */
import { loadConfig } from '@tandem/config';
import { hashPassword } from '@tandem/accounts';
import { createLogger } from '@tandem/log';
import { Category, Product, Role, User } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { startAdmin, type AdminServer } from '../src/server.js';

export const PASSWORD = 'correct horse battery';
/** The admin's TANDEM_SECRET_KEY in startFixture: what a test's own TwoFactor must share with it. */
export const SECRET_KEY = 'test-secret-key-that-is-long-enough-0123456789';

/** A staff member (PASSWORD) whose one role grants `permissions` and no token scope. */
export async function createStaff(fixture: Fixture, email: string, permissions: string[]): Promise<User> {
  const em = fixture.db.orm.em.fork();
  const role = em.create(Role, { name: `staff of ${email}`, scopes: [], permissions });
  const user = em.create(User, { email, passwordHash: await hashPassword(PASSWORD), isStaff: true });
  user.roles.add(role);
  await em.flush();
  return user;
}

export interface Fixture {
  readonly db: MigratedTestDatabase;
  readonly admin: AdminServer;
  /** http://127.0.0.1:PORT (without /admin). */
  readonly origin: string;
  readonly ids: { superuser: number; editor: number; categories: number[]; products: number[] };
  close(): Promise<void>;
}

export async function startFixture(env: Record<string, string> = {}): Promise<Fixture> {
  const db = await createMigratedDatabase();
  const em = db.orm.em.fork();
  const passwordHash = await hashPassword(PASSWORD);
  const editorRole = em.create(Role, {
    name: 'editor',
    scopes: [],
    permissions: ['view_product', 'add_product', 'change_product', 'view_category'],
  });
  const superuser = em.create(User, {
    email: 'root@example.com',
    passwordHash,
    isStaff: true,
    isSuperuser: true,
  });
  const editor = em.create(User, { email: 'editor@example.com', passwordHash, isStaff: true });
  editor.roles.add(editorRole);
  em.create(User, { email: 'inactive@example.com', passwordHash, isStaff: true, isActive: false });
  em.create(User, { email: 'customer@example.com', passwordHash, isStaff: false });
  const tools = em.create(Category, { name: 'Garden tools', slug: 'garden-tools' });
  const kitchen = em.create(Category, { name: 'Kitchen', slug: 'kitchen' });
  const products = [
    em.create(Product, {
      sku: 'SPADE-1',
      name: 'Spade',
      priceCents: 2500,
      currency: 'EUR',
      stock: 3,
      category: tools,
      tags: ['garden', 'steel'],
    }),
    em.create(Product, {
      sku: 'RAKE-1',
      name: 'Rake',
      priceCents: 1500,
      currency: 'EUR',
      stock: 5,
      category: tools,
      tags: ['garden'],
    }),
    em.create(Product, {
      sku: 'PAN-1',
      name: 'Frying pan',
      priceCents: 3900,
      currency: 'USD',
      stock: 0,
      category: kitchen,
      tags: ['cast-iron'],
    }),
  ];
  await em.flush();
  const config = loadConfig({
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    TANDEM_SECRET_KEY: SECRET_KEY,
    ...env,
  });
  const admin = await startAdmin({
    config,
    orm: db.orm,
    logger: createLogger('admin-test', 'silent'),
    port: 0,
  });
  return {
    db,
    admin,
    origin: new URL(admin.url).origin,
    ids: {
      superuser: superuser.id,
      editor: editor.id,
      categories: [tools.id, kitchen.id],
      products: products.map((product) => product.id),
    },
    async close() {
      await admin.close();
      await db.close();
    },
  };
}

/** Statuses whose Response may not carry a body (the fetch standard's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** fetch with a cookie jar of one cookie (the admin session) and no automatic redirects. */
export class Client {
  private cookie: string | undefined;

  constructor(private readonly origin: string) {}

  async request(
    path: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      json?: unknown;
      headers?: Record<string, string>;
      /** A body sent as is (with the caller's content-type), e.g. bytes that lie about their encoding. */
      raw?: string | Uint8Array;
      /** The response as it arrives, for a caller that reads the body itself (a slow download). */
      stream?: boolean;
    } = {},
  ): Promise<Response> {
    // A connection per request. Reusing kept-alive ones raced the server's keep-alive timeout: with
    // the event loop held by a bulk job on SQLite (server and client share this process), the client
    // sent a poll on a socket the server was closing as idle, and it was reset (ECONNRESET). A browser
    // retries such a request; this client would fail the test instead.
    const headers: Record<string, string> = { connection: 'close', ...init.headers };
    // The session cookie, plus any the caller adds (as a browser sends them together).
    if (this.cookie) headers.cookie = [this.cookie, init.headers?.cookie].filter(Boolean).join('; ');
    let body: string | Uint8Array | undefined = init.raw;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await fetch(`${this.origin}${path}`, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: 'manual',
    }).catch((error: unknown) => {
      // undici says only 'fetch failed'; what failed (a reset, a closed socket) is in its cause.
      const cause = error instanceof Error ? (error.cause as { code?: string; message?: string }) : undefined;
      throw new Error(`${path}: fetch failed: ${cause?.code ?? ''} ${cause?.message ?? String(error)}`, {
        cause: error,
      });
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    if (init.stream) return response;
    // Read to its end before answering, as a browser does before it follows up: express-session holds
    // back the end of a response whose session changed (its last byte, or the whole compressed body)
    // until the session is saved. A next request sent on the status line alone can read the session
    // from before (a password change's new stamp not yet saved, so the owner's own session looked
    // stale: 302).
    const bytes = new Uint8Array(await response.arrayBuffer());
    return new Response(NULL_BODY_STATUSES.has(response.status) ? null : bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  async login(email: string, password = PASSWORD): Promise<Response> {
    return this.request('/admin/login', { form: { email, password } });
  }

  async api<T = Record<string, unknown>>(
    path: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    const response = await this.request(`/admin/api${path}`, init);
    const text = await response.text();
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      throw new Error(`expected JSON from ${path}, got ${response.status}: ${text.slice(0, 200)}`);
    }
    return { status: response.status, body };
  }
}

/** startFixture with the superuser (root@example.com) logged in: how most of these files begin. */
export async function startFixtureAsRoot(): Promise<{ fixture: Fixture; root: Client }> {
  const fixture = await startFixture();
  const root = new Client(fixture.origin);
  const login = await root.login('root@example.com');
  if (login.status !== 302) throw new Error(`the superuser could not log in: ${login.status}`);
  return { fixture, root };
}

/** Which audit rows refuseAuditEntries refuses; with neither field, every row. */
export interface AuditRefusal {
  /** Refuse the entry of this record (audit_entries.record_id). */
  readonly recordId?: string;
  /** Refuse entries whose diff mentions this text (e.g. a product name, before the record has an id). */
  readonly diffContaining?: string;
}

let refusals = 0;

/**
 * Makes the database itself refuse audit entries (a trigger on audit_entries, on SQLite and
 * PostgreSQL), so a test can prove that a change whose audit entry fails is rolled back with it.
 * Returns the function that drops the trigger again.
 */
export async function refuseAuditEntries(
  db: MigratedTestDatabase,
  refusal: AuditRefusal = {},
): Promise<() => Promise<void>> {
  const knex = db.orm.em.getKnex();
  // Inlined into DDL (PostgreSQL takes no bind parameters there), so only plain markers are accepted.
  for (const text of [refusal.recordId, refusal.diffContaining])
    if (text !== undefined && !/^[\w-]+$/.test(text)) throw new Error(`not a plain marker: ${text}`);
  const row = testDialect() === 'sqlite' ? 'new' : 'NEW';
  const conditions = [
    ...(refusal.recordId === undefined ? [] : [`${row}.record_id = '${refusal.recordId}'`]),
    ...(refusal.diffContaining === undefined
      ? []
      : [`cast(${row}.diff as text) like '%${refusal.diffContaining}%'`]),
  ];
  const when = conditions.length === 0 ? 'true' : conditions.join(' and ');
  refusals += 1;
  const name = `refuse_audit_${refusals}`;
  if (testDialect() === 'sqlite') {
    await knex.raw(
      `create trigger ${name} before insert on audit_entries when ${when} ` +
        `begin select raise(abort, 'audit refused by the test'); end`,
    );
    return async () => {
      await knex.raw(`drop trigger ${name}`);
    };
  }
  await knex.raw(
    `create function ${name}() returns trigger language plpgsql as $$ begin ` +
      `if ${when} then raise exception 'audit refused by the test'; end if; return NEW; end $$`,
  );
  await knex.raw(
    `create trigger ${name} before insert on audit_entries for each row execute function ${name}()`,
  );
  return async () => {
    await knex.raw(`drop trigger ${name} on audit_entries`);
    await knex.raw(`drop function ${name}()`);
  };
}
