import type { JsonSchema } from '@tandem/models';
import type { OpenApiDocument } from '@tandem/models/openapi';

/** One hot collection as the fast service's OpenAPI document describes it. */
export interface CollectionSpec {
  readonly collection: string;
  /** The record's schema name in components.schemas (the entity's name), used as its TypeScript name. */
  readonly typeName: string;
  readonly scope: string;
  /** The record's JSON Schema. */
  readonly record: JsonSchema;
  /** The list filters: query parameters besides limit and after. */
  readonly filters: readonly { readonly name: string; readonly schema: JsonSchema }[];
  /** The writes the collection takes (POST, PATCH, DELETE), absent when it takes none. */
  readonly writes?: WritesSpec;
}

/** A collection's write operations: their scope and the bodies' schemas (by component name). */
export interface WritesSpec {
  readonly scope: string;
  readonly create?: { readonly typeName: string; readonly schema: JsonSchema };
  readonly patch?: { readonly typeName: string; readonly schema: JsonSchema };
  readonly delete: boolean;
}

export class ClientGenerationError extends Error {
  override name = 'ClientGenerationError';
}

interface Operation {
  readonly operationId?: string;
  readonly requestBody?: {
    readonly content?: Readonly<Record<string, { readonly schema?: JsonSchema }>>;
  };
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly parameters?: readonly {
    readonly name?: string;
    readonly in?: string;
    readonly schema?: JsonSchema;
  }[];
  readonly responses?: Readonly<
    Record<string, { readonly content?: Record<string, { readonly schema?: JsonSchema }> }>
  >;
}

const schemaName = (reference: unknown) =>
  typeof reference === 'string' ? reference.replace('#/components/schemas/', '') : undefined;

/** The body schema (by component name) of a write operation, when the document has it. */
function bodyOf(
  operation: Operation | undefined,
  schemas: Readonly<Record<string, JsonSchema>>,
): { typeName: string; schema: JsonSchema } | undefined {
  const typeName = schemaName(operation?.requestBody?.content?.['application/json']?.schema?.$ref);
  const schema = typeName === undefined ? undefined : schemas[typeName];
  return typeName === undefined || schema === undefined ? undefined : { typeName, schema };
}

/** The writes of a collection: `create_`, `update_` and `delete_` operations on its two paths. */
function writesOf(
  collection: string,
  paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>,
  schemas: Readonly<Record<string, JsonSchema>>,
): WritesSpec | undefined {
  const post = paths[`/v1/${collection}`]?.post;
  const item = paths[`/v1/${collection}/{id}`];
  const create = post?.operationId === `create_${collection}` ? post : undefined;
  const update = item?.patch?.operationId === `update_${collection}` ? item.patch : undefined;
  const remove = item?.delete?.operationId === `delete_${collection}` ? item.delete : undefined;
  const any = create ?? update ?? remove;
  if (any === undefined) return undefined;
  const createBody = bodyOf(create, schemas);
  const patchBody = bodyOf(update, schemas);
  if ((create && !createBody) || (update && !patchBody))
    throw new ClientGenerationError(`the OpenAPI document has no write body schema for ${collection}`);
  return {
    scope: any.security?.[0]?.bearer?.[0] ?? '',
    ...(createBody && { create: createBody }),
    ...(patchBody && { patch: patchBody }),
    delete: remove !== undefined,
  };
}

/**
 * The collections of the fast service's OpenAPI document (`list_<collection>` operations): the typed
 * client is generated from the same document the service serves, so the two cannot disagree.
 */
export function collectionsFromOpenApi(document: OpenApiDocument): CollectionSpec[] {
  const schemas = (document.components as { schemas?: Record<string, JsonSchema> }).schemas ?? {};
  const specs: CollectionSpec[] = [];
  const paths = document.paths as Record<string, Record<string, Operation>>;
  for (const [path, item] of Object.entries(paths)) {
    const list = item.get;
    const collection = list?.operationId?.startsWith('list_') ? list.operationId.slice(5) : undefined;
    if (!list || !collection || path !== `/v1/${collection}`) continue;
    const page = schemaName(list.responses?.['200']?.content?.['application/json']?.schema?.$ref);
    const items = page
      ? (schemas[page]?.properties as Record<string, JsonSchema> | undefined)?.items
      : undefined;
    const typeName = schemaName(items?.items && (items.items as JsonSchema).$ref);
    const record = typeName ? schemas[typeName] : undefined;
    if (!typeName || !record)
      throw new ClientGenerationError(`the OpenAPI document has no record schema for ${collection}`);
    const writes = writesOf(collection, paths, schemas);
    specs.push({
      collection,
      typeName,
      scope: list.security?.[0]?.bearer?.[0] ?? '',
      record,
      filters: (list.parameters ?? []).flatMap((parameter) =>
        parameter.in === 'query' && parameter.name
          ? [{ name: parameter.name, schema: parameter.schema ?? {} }]
          : [],
      ),
      ...(writes && { writes }),
    });
  }
  return specs;
}
