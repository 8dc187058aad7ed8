import { hashPassword } from '@tandem/accounts';
import { Category, Product, Role, User } from '@tandem/models';
import type { MigratedTestDatabase } from '@tandem/models/testing';

export const READER_EMAIL = 'reader@example.com';
export const READER_PASSWORD = 'reader test password';

/** A `reader` role (scope catalog:read) with one user who may sign in with READER_PASSWORD. */
export async function seedReader(db: MigratedTestDatabase): Promise<void> {
  const em = db.orm.em.fork();
  const reader = em.create(Role, { name: 'reader', scopes: ['catalog:read'], permissions: [] });
  const user = em.create(User, { email: READER_EMAIL, passwordHash: await hashPassword(READER_PASSWORD) });
  user.roles.add(reader);
  await em.flush();
}

/** The reader (see seedReader), a category and `count` published products. */
export async function seedReaderCatalog(db: MigratedTestDatabase, count = 10): Promise<void> {
  await seedReader(db);
  const em = db.orm.em.fork();
  const category = em.create(Category, { name: 'Tools', slug: 'tools' });
  for (let i = 1; i <= count; i++) {
    em.create(Product, {
      sku: `SKU-${i}`,
      name: `Tool ${i}`,
      priceCents: 100 * i,
      currency: 'EUR',
      stock: i,
      category,
      tags: ['tool'],
      published: true,
    });
  }
  await em.flush();
}

/** An access token from the real auth service (password grant). */
export async function readerToken(authUrl: string): Promise<string> {
  const response = await fetch(`${authUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username: READER_EMAIL,
      password: READER_PASSWORD,
      scope: 'catalog:read',
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token)
    throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
