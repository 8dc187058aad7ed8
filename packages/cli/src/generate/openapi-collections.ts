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
}

export class ClientGenerationError extends Error {
  override name = 'ClientGenerationError';
}

interface Operation {
  readonly operationId?: string;
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

/**
 * The collections of the fast service's OpenAPI document (`list_<collection>` operations): the typed
 * client is generated from the same document the service serves, so the two cannot disagree.
 */
export function collectionsFromOpenApi(document: OpenApiDocument): CollectionSpec[] {
  const schemas = (document.components as { schemas?: Record<string, JsonSchema> }).schemas ?? {};
  const specs: CollectionSpec[] = [];
  for (const [path, item] of Object.entries(document.paths as Record<string, { get?: Operation }>)) {
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
    });
  }
  return specs;
}
