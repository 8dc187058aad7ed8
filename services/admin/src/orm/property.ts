import { BaseProperty, type PropertyType } from 'adminjs';
import { ReferenceKind, type EntityProperty } from '@mikro-orm/core';
import { columnKind } from '@tandem/models';

/**
 * The AdminJS field type for a scalar, from the property's runtime type (not the column type: SQLite
 * stores booleans in integer columns and every string in a text column). A calendar date (`p.date()`)
 * is a string to MikroORM: typed 'date', it gets the UTC day picker (components/UtcDatePicker.jsx),
 * which reads and writes "2026-12-01" as stored, and a day-range filter.
 */
function scalarType(prop: EntityProperty): PropertyType {
  if (columnKind(prop) === 'date') return 'date';
  switch (prop.runtimeType) {
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'Date':
      return 'datetime';
    case 'string':
      return String(prop.type).toLowerCase() === 'text' ? 'textarea' : 'string';
    default:
      return 'mixed';
  }
}

/**
 * One entity property as AdminJS sees it. Unlike the stock @adminjs/mikroorm property it knows
 * many-to-many references (a user's roles) and JSON string lists (tags), and keeps ids and
 * timestamps read-only.
 */
export class OrmProperty extends BaseProperty {
  constructor(
    readonly meta: EntityProperty,
    position: number,
    private readonly stringList: boolean,
    private readonly readOnly: boolean,
    /** A JSON column shown and edited as JSON text (like Django's JSONField): see OrmResourceSpec.jsonText. */
    readonly jsonText = false,
  ) {
    const kind = meta.kind;
    const isRef =
      kind === ReferenceKind.MANY_TO_ONE ||
      kind === ReferenceKind.ONE_TO_ONE ||
      kind === ReferenceKind.MANY_TO_MANY;
    const type: PropertyType = isRef
      ? 'reference'
      : stringList
        ? 'string'
        : jsonText
          ? 'textarea'
          : scalarType(meta);
    super({
      path: meta.name,
      type,
      isId: Boolean(meta.primary),
      // JSON (lists, JSON text) has no order on PostgreSQL ("could not identify an ordering operator
      // for type json"): a list asked to sort by it keeps its default order.
      isSortable: !isRef && type !== 'mixed' && !stringList && !jsonText,
      position,
    });
  }

  override isEditable(): boolean {
    return !this.isId() && !this.readOnly;
  }

  override isRequired(): boolean {
    if (this.isId() || this.readOnly || this.stringList) return false;
    if (this.meta.kind === ReferenceKind.MANY_TO_MANY) return false;
    // Fields with a database default (stock, published, description) may be left empty.
    return (
      this.meta.nullable !== true && this.meta.default === undefined && this.meta.defaultRaw === undefined
    );
  }

  override isArray(): boolean {
    return this.stringList || this.meta.kind === ReferenceKind.MANY_TO_MANY;
  }

  override reference(): string | null {
    return this.type() === 'reference' ? (this.meta.targetMeta?.className ?? this.meta.type) : null;
  }
}
