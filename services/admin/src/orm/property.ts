import { BaseProperty, type PropertyType } from 'adminjs';
import { ReferenceKind, type EntityProperty } from '@mikro-orm/core';

/** Column types MikroORM reports, mapped to the AdminJS field type that edits them. */
function scalarType(prop: EntityProperty): PropertyType {
  const type = String(prop.runtimeType ?? prop.type).toLowerCase();
  const column = String(prop.columnTypes?.[0] ?? '').toLowerCase();
  if (type === 'number' || /int|serial|numeric|decimal/.test(column)) return 'number';
  if (type === 'boolean' || column === 'boolean') return 'boolean';
  if (type === 'date' || /timestamp|datetime/.test(column)) return 'datetime';
  if (column === 'text') return 'textarea';
  if (type === 'object' || type === 'any' || /json/.test(column)) return 'mixed';
  return 'string';
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
  ) {
    const kind = meta.kind;
    const isRef = kind === ReferenceKind.MANY_TO_ONE || kind === ReferenceKind.ONE_TO_ONE || kind === ReferenceKind.MANY_TO_MANY;
    const type: PropertyType = isRef ? 'reference' : stringList ? 'string' : scalarType(meta);
    super({ path: meta.name, type, isId: Boolean(meta.primary), isSortable: !isRef && type !== 'mixed' && !stringList, position });
  }

  override isEditable(): boolean {
    return !this.isId() && !this.readOnly;
  }

  override isRequired(): boolean {
    if (this.isId() || this.readOnly || this.stringList) return false;
    if (this.meta.kind === ReferenceKind.MANY_TO_MANY) return false;
    // Fields with a database default (stock, published, description) may be left empty.
    return this.meta.nullable !== true && this.meta.default === undefined && this.meta.defaultRaw === undefined;
  }

  override isArray(): boolean {
    return this.stringList || this.meta.kind === ReferenceKind.MANY_TO_MANY;
  }

  override reference(): string | null {
    return this.type() === 'reference' ? (this.meta.targetMeta?.className ?? this.meta.type) : null;
  }
}
