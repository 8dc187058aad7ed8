import type { HotProjection } from '@tandem/models';

/** The slice of MikroORM property metadata the client's types are derived from (structural, no ORM import). */
export interface PropertyMetadataLike {
  readonly type: string;
  readonly kind: string;
  readonly runtimeType?: string;
  readonly nullable?: boolean;
  readonly length?: number;
  readonly enum?: boolean;
  readonly items?: readonly (string | number)[];
}
export type EntityLookup = (
  entity: string,
) => { readonly properties: Readonly<Record<string, PropertyMetadataLike>> } | undefined;

export type FieldType =
  | { readonly kind: 'integer' | 'number' | 'string' | 'boolean' | 'date-time' | 'json' }
  | { readonly kind: 'enum'; readonly values: readonly (string | number)[] };

export interface FieldShape {
  /** The JSON name clients see. */
  readonly name: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  /** Longest string the column holds, where the model says. */
  readonly maxLength?: number;
  /** For a many-to-one field: the related entity, whose id the field holds. */
  readonly references?: string;
}

/** What a client needs to know of one hot collection: its record's fields and how to read it. */
export interface CollectionShape {
  readonly collection: string;
  readonly entity: string;
  /** The TypeScript name of its record type (the entity's name unless two collections share it). */
  readonly typeName: string;
  readonly scope: string;
  readonly filterable: readonly string[];
  readonly fields: readonly FieldShape[];
}

export class CollectionShapeError extends Error {
  override name = 'CollectionShapeError';
}

function scalarType(property: PropertyMetadataLike): FieldType {
  if (property.enum && property.items && property.items.length > 0)
    return { kind: 'enum', values: property.items };
  const type = property.type.toLowerCase();
  if (type.includes('json')) return { kind: 'json' };
  if (property.runtimeType === 'boolean' || type === 'boolean') return { kind: 'boolean' };
  // The change feed renders every date and datetime column as ISO 8601 UTC text.
  if (property.runtimeType === 'Date' || /date|time/.test(type)) return { kind: 'date-time' };
  if (property.runtimeType === 'number' || property.runtimeType === 'bigint')
    return { kind: /int/.test(type) ? 'integer' : 'number' };
  if (property.runtimeType === 'string') return { kind: 'string' };
  return { kind: 'json' };
}

const pascalCase = (name: string) =>
  name.replace(/(^|[-_])([a-z0-9])/g, (_, _separator: string, letter: string) => letter.toUpperCase());

/**
 * The shape of every hot collection, from its projection (exposed names, scope, filters) and the ORM
 * metadata (types, nullability, lengths, enums). The one place the client generator reads models from:
 * when projections move into the model registry, only this function's input changes.
 */
export function collectionShapes(
  projections: readonly HotProjection[],
  lookup: EntityLookup,
): CollectionShape[] {
  const entityUses = new Map<string, number>();
  for (const projection of projections)
    entityUses.set(projection.entity, (entityUses.get(projection.entity) ?? 0) + 1);
  return projections.map((projection) => {
    const where = `hot projection "${projection.collection}"`;
    const meta = lookup(projection.entity);
    if (!meta) throw new CollectionShapeError(`${where}: unknown entity ${projection.entity}`);
    const fields = Object.entries(projection.fields).map(([name, propertyName]): FieldShape => {
      const property = meta.properties[propertyName];
      if (!property)
        throw new CollectionShapeError(`${where}: ${projection.entity} has no property ${propertyName}`);
      const nullable = property.nullable === true;
      if (property.kind === 'm:1' || property.kind === '1:1') {
        const targetId = lookup(property.type)?.properties.id;
        return {
          name,
          type: targetId ? scalarType(targetId) : { kind: 'integer' },
          nullable,
          references: property.type,
        };
      }
      if (property.kind !== 'scalar' && property.kind !== 'embedded')
        throw new CollectionShapeError(
          `${where}: ${propertyName} is a ${property.kind} relation; only scalars and many-to-one fields can be exposed`,
        );
      return {
        name,
        type: scalarType(property),
        nullable,
        ...(property.length !== undefined && scalarType(property).kind === 'string'
          ? { maxLength: property.length }
          : {}),
      };
    });
    return {
      collection: projection.collection,
      entity: projection.entity,
      typeName:
        (entityUses.get(projection.entity) ?? 0) > 1 ? pascalCase(projection.collection) : projection.entity,
      scope: projection.scope,
      filterable: projection.filterable ?? [],
      fields,
    };
  });
}
