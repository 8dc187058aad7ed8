/**
 * Hot projections (docs/architecture.md, decision 2): what the fast service serves and pushes, declared once here and
 * read by every part that needs it (the fast service, the change feed, the admin). Field names are the
 * JSON names clients see; values are entity property names, so columns and types come from the ORM
 * metadata. Adding a hot entity = a model, a declaration below, and one trigger line in the migration
 * that creates its table (`select tandem_capture_changes('<table>')` on PostgreSQL, the four SQLite
 * triggers of Migration20261126000200_changefeed). No handler code.
 */
export interface HotProjection {
  /** URL segment and WebSocket topic: /v1/{collection}/{id}, topic "{collection}" or "{collection}/{id}". */
  readonly collection: string;
  /** Entity name in the ORM metadata; it must have an integer `id` primary key. */
  readonly entity: string;
  /** Exposed JSON field → entity property (a many-to-one property exposes the related id). */
  readonly fields: Readonly<Record<string, string>>;
  /** OAuth scope a token needs to read this collection. */
  readonly scope: string;
  /** Row filter: only rows whose property equals the value are visible (e.g. published products). */
  readonly where?: Readonly<Record<string, string | number | boolean>>;
  /** Exposed fields that list queries may filter on (`?categoryId=3`); the fast service indexes them. */
  readonly filterable?: readonly string[];
}

export const hotProjections: readonly HotProjection[] = [
  {
    collection: 'products',
    entity: 'Product',
    fields: {
      id: 'id',
      sku: 'sku',
      name: 'name',
      description: 'description',
      priceCents: 'priceCents',
      currency: 'currency',
      stock: 'stock',
      categoryId: 'category',
      tags: 'tags',
      updatedAt: 'updatedAt',
    },
    scope: 'catalog:read',
    where: { published: true },
    filterable: ['categoryId'],
  },
  {
    collection: 'categories',
    entity: 'Category',
    fields: { id: 'id', name: 'name', slug: 'slug', updatedAt: 'updatedAt' },
    scope: 'catalog:read',
  },
];

/**
 * Tables whose changes revoke access tokens rather than feed a collection: a session (the `sid` claim)
 * that is revoked or deleted ends its tokens at once, on every fast node.
 */
export const revocationSource = {
  table: 'sessions',
  idColumn: 'id',
  revokedAtColumn: 'revoked_at',
  expiresAtColumn: 'expires_at',
} as const;
