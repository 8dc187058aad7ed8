import type { EntitySchema } from '@mikro-orm/core';
import type { RowAccess } from './hot/row-access.js';
import type { WriteDeclaration } from './hot/writes.js';
import type { JsonSchema } from './json-schema.js';

export type { JsonSchema } from './json-schema.js';

/** What a hot model serves through the fast service: `/v1/{collection}` and its WebSocket topics. */
export interface HotDeclaration {
  /** URL segment and WebSocket topic: /v1/{collection}/{id}, topic "{collection}" or "{collection}/{id}". */
  readonly collection: string;
  /** Exposed JSON field → entity property (a many-to-one property exposes the related id). */
  readonly fields: Readonly<Record<string, string>>;
  /** OAuth scope a token needs to read this collection (one scope token: no spaces). */
  readonly scope: string;
  /** Row filter: only rows whose property equals the value are visible (e.g. published products). */
  readonly where?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Exposed fields that list queries may filter on (`?categoryId=3`); the fast service indexes them.
   * Each holds one string, number or boolean (or null): a JSON or array property cannot be filterable.
   */
  readonly filterable?: readonly string[];
  /**
   * Rows that belong to someone: each is visible only to the token whose claim equals its field
   * (e.g. `{ field: 'userId', claim: 'sub', anyScope: 'orders:read:any' }`), on HTTP and WebSocket.
   */
  readonly rowAccess?: RowAccess;
  /**
   * Rows kept hot only for a while: those whose datetime `property` is null (not settled yet) or at
   * most `seconds` old. Older rows stay in the table but leave the fast service's memory (its list,
   * its topic and its GET by id), so a collection that grows with every request (the write outcomes)
   * holds a bounded amount there; a route that must still answer for them reads the database.
   */
  readonly hotWindow?: HotWindowDeclaration;
  /**
   * Per exposed field, JSON Schema keywords the ORM metadata cannot know (a JSON column's item type,
   * a minimum, a pattern). Merged over the generated schema in the OpenAPI document, and checked on
   * every value stored through the ORM (declared-schemas.ts): the fields are served as stored.
   */
  readonly schema?: Readonly<Record<string, JsonSchema>>;
  /**
   * Writes through the fast service (POST/PATCH/DELETE on the collection, issue 15): the writable
   * fields, the write scope, the applier handler. Without it the collection is read-only there.
   */
  readonly writes?: WriteDeclaration;
}

/** See HotDeclaration.hotWindow. */
export interface HotWindowDeclaration {
  /** A datetime property (entity property name), e.g. `appliedAt`. */
  readonly property: string;
  /** How long after that time a row stays hot; at least 60. */
  readonly seconds: number;
}

/**
 * The admin page of a model. Everything is optional: the admin derives list columns, filters, search,
 * read-only fields and labels from the ORM metadata, and a key given here replaces that default.
 */
export interface AdminDeclaration {
  /** Sidebar group, e.g. "Catalog", and its icon (a Feather icon name, e.g. "ShoppingBag"). */
  readonly navigation?: string;
  readonly icon?: string;
  /** Sidebar label (default: the entity name in plural, "Categories"). */
  readonly label?: string;
  readonly listProperties?: readonly string[];
  readonly filterProperties?: readonly string[];
  readonly editProperties?: readonly string[];
  readonly showProperties?: readonly string[];
  /** Columns the Search box looks in (default: the short string columns). */
  readonly searchFields?: readonly string[];
  /** JSON columns holding a list of strings (edited as a list of text inputs). */
  readonly stringLists?: readonly string[];
  /** Properties never written from a form, besides the id and the timestamps the ORM fills. */
  readonly readOnly?: readonly string[];
  readonly titleProperty?: string;
  readonly defaultSort?: { readonly sortBy: string; readonly direction: 'asc' | 'desc' };
  /** Field labels (default: from the property name, "priceCents" → "Price cents"). */
  readonly propertyLabels?: Readonly<Record<string, string>>;
  /** Help text under a form field. */
  readonly descriptions?: Readonly<Record<string, string>>;
  /**
   * Money: an integer property holding an amount in its currency's minor units (cents), by name, with
   * the property that holds that currency (an ISO 4217 code). The admin shows "€19.99", not 1999.
   */
  readonly money?: Readonly<Record<string, MoneyDeclaration>>;
  /**
   * Records written by the system only (the write queue's outcomes): staff list, show and export them,
   * and no role, not even a superuser's, creates, edits or deletes them.
   */
  readonly viewOnly?: boolean;
}

/** Where a money amount's currency is: another property of the same record, e.g. `currency`. */
export interface MoneyDeclaration {
  readonly currencyProperty: string;
}

/** An entity of any shape (the registry holds them all). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EntitySchema's parameters are invariant; the registry is heterogeneous
export type AnyEntitySchema = EntitySchema<any, never>;

/** One model, declared once: its entity, whether staff get permissions on it, its admin and its hot projection. */
export interface ModelDeclaration {
  readonly entity: AnyEntitySchema;
  /** Entity name in the ORM metadata, e.g. "Product". */
  readonly name: string;
  /** Table name, e.g. "products". */
  readonly table: string;
  /** Codename suffix of Django's four permissions ("product" → view_product...), or null when none. */
  readonly permissionModel: string | null;
  /** The admin page, or null for a model staff never see (the change outbox, refresh tokens). */
  readonly admin: AdminDeclaration | null;
  readonly hot: HotDeclaration | null;
  /**
   * A realistic record as entity property values (the seed data's first record), for examples in the
   * OpenAPI document. A many-to-one property holds the related id.
   */
  readonly example: Readonly<Record<string, unknown>> | null;
}

export interface ModelOptions {
  /** Django's four permissions and an admin page; false for internal tables (default true). */
  readonly admin?: AdminDeclaration | false;
  readonly hot?: HotDeclaration;
  readonly example?: Readonly<Record<string, unknown>>;
}

/**
 * Declares a model next to its entity, like a Django model with its ModelAdmin. List the result in
 * the registry (packages/models/src/registry.ts): the admin page, the permission codenames, the hot
 * collection, the change-capture triggers and the OpenAPI document all follow from it.
 */
export function defineModel(entity: AnyEntitySchema, options: ModelOptions = {}): ModelDeclaration {
  const name = entity.meta.className;
  const admin = options.admin === false ? null : (options.admin ?? {});
  return {
    entity,
    name,
    table: entity.meta.tableName ?? entity.meta.collection,
    permissionModel: admin ? name.toLowerCase() : null,
    admin,
    hot: options.hot ?? null,
    example: options.example ?? null,
  };
}
