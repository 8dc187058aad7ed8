import {
  ProjectionError,
  checkHotProjections,
  columnKind,
  fieldChoices,
  type EntityMetadataLike,
  type HotProjection,
  type MetadataLookup,
  type RowAccess,
} from '@tandem/models';

export { ProjectionError, type EntityMetadataLike, type MetadataLookup };

/** `decimal` carries the column's scale: served as a string with that many decimals on both dialects. */
type FieldKind = 'scalar' | 'json' | 'boolean' | 'datetime' | 'date' | 'time' | { readonly decimal: number };

/** What a field's value is as JSON, so a filter on it can be told a value it could never equal. */
export type FilterValueType = 'integer' | 'number' | 'boolean' | 'text';

interface CompiledField {
  readonly name: string;
  readonly column: string;
  readonly kind: FieldKind;
  readonly valueType: FilterValueType;
  /** An enum's items: the only values a filter on it could ever equal. */
  readonly items?: readonly string[];
}

/** A projection resolved against the ORM metadata, with the SQL that builds its JSON in the database. */
export interface CompiledProjection {
  readonly collection: string;
  readonly table: string;
  readonly scope: string;
  readonly filterable: readonly string[];
  /** Rows visible only to their owner's token (checked: the field is exposed, the claim is known). */
  readonly rowAccess?: RowAccess;
  readonly fields: readonly CompiledField[];
  /** `select id, json from ... where <filter> order by id` */
  readonly snapshotSql: string;
  /** Same, restricted to the ids in parameter 1 (an int array on PostgreSQL, a JSON array on SQLite). */
  readonly rereadSql: string;
  /**
   * Set when rows are hot for a while only (HotDeclaration.hotWindow): how long, in milliseconds.
   * The snapshot and the re-read leave older rows out; the fast service drops rows that age in memory.
   */
  readonly hotWindowMs?: number;
  /**
   * One row by id (parameter `?`, bound by the ORM's connection) within the row filter and, where there
   * is a hot window, past it: what a route answers from the database for a row memory no longer holds.
   * A row still inside the window comes through the feed only, so an answer read here can never be
   * ahead of what the store serves (an order's outcome before the order).
   */
  readonly lookupSql: string;
  /**
   * Where rows have owners (rowAccess): the same, for one owner's row only (parameters id, then the
   * owner key). Another owner's row then costs the query a missing one costs: no timing to tell them apart.
   */
  readonly lookupOwnedSql?: string;
}

function kindOf(property: EntityMetadataLike['properties'][string]): FieldKind {
  if (property.kind === 'm:1' || property.kind === '1:1') return 'scalar';
  if (/json/i.test(property.type)) return 'json';
  if (property.runtimeType === 'boolean' || property.type === 'boolean') return 'boolean';
  const column = property.runtimeType === 'string' ? columnKind(property) : undefined;
  // A calendar date (MikroORM's DateType, a string): no time, no time zone.
  if (column === 'date') return 'date';
  // A time of day (a string to MikroORM): HH:MM:SS on both databases.
  if (column === 'time') return 'time';
  // A decimal is a string to MikroORM and in the OpenAPI document: served as one, not as a JSON number.
  if (column === 'decimal') return { decimal: property.scale ?? 0 };
  if (property.runtimeType === 'Date' || /date/i.test(property.type)) return 'datetime';
  return 'scalar';
}

function valueTypeOf(
  property: EntityMetadataLike['properties'][string],
  lookup: MetadataLookup,
): FilterValueType {
  if (property.kind === 'm:1' || property.kind === '1:1') {
    // A reference is served as its target's id.
    const target = lookup(property.type);
    const id = target && Object.values(target.properties).find((candidate) => candidate.primary);
    return id === undefined ? 'text' : valueTypeOf(id, lookup);
  }
  if (kindOf(property) === 'boolean') return 'boolean';
  if (property.runtimeType === 'number' || property.runtimeType === 'bigint')
    return /int|serial/i.test(property.type) ? 'integer' : 'number';
  return 'text';
}

const quote = (dialect: Dialect, identifier: string) =>
  dialect === 'postgresql' ? `"${identifier}"` : `\`${identifier}\``;
type Dialect = 'sqlite' | 'postgresql';

function valueSql(dialect: Dialect, kind: FieldKind, column: string): string {
  const c = `t.${quote(dialect, column)}`;
  if (typeof kind === 'object') {
    // numeric(p,s)::text keeps the scale ("4.50"); SQLite stores a REAL, printed with the same scale.
    return dialect === 'postgresql'
      ? `${c}::text`
      : `(case when ${c} is null then null else printf('%.${kind.decimal}f', ${c}) end)`;
  }
  if (dialect === 'postgresql') {
    // Fixed UTC, millisecond ISO-8601 whatever the session TimeZone: identical bytes on every node. A
    // date column is left as it is: row_to_json writes "YYYY-MM-DD", and `at time zone` would move it.
    if (kind === 'datetime') return `to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    return kind === 'time' ? `to_char(${c}, 'HH24:MI:SS')` : c;
  }
  switch (kind) {
    case 'time':
      // SQLite keeps the text as written ("09:30"); time() writes it as PostgreSQL does ("09:30:00").
      return `time(${c})`;
    case 'json':
      return `json(${c})`;
    case 'boolean':
      return `json(case when ${c} is null then 'null' when ${c} then 'true' else 'false' end)`;
    case 'datetime':
      // The ORM stores epoch milliseconds, raw SQL defaults store 'YYYY-MM-DD HH:MM:SS' text.
      return `(case when typeof(${c}) in ('integer', 'real') then strftime('%Y-%m-%dT%H:%M:%fZ', ${c} / 1000.0, 'unixepoch') else strftime('%Y-%m-%dT%H:%M:%fZ', ${c}) end)`;
    default:
      return c;
  }
}

/**
 * The hot window's condition: the property is null (not settled) or at most `seconds` old by the
 * database's clock, evaluated when the statement runs.
 */
function windowSql(dialect: Dialect, column: string, seconds: number): string {
  const c = `t.${quote(dialect, column)}`;
  if (dialect === 'postgresql') return `(${c} is null or ${c} >= now() - make_interval(secs => ${seconds}))`;
  // Epoch milliseconds (what the ORM stores) or text (raw SQL defaults), as valueSql reads them.
  const ms = `(case when typeof(${c}) in ('integer', 'real') then ${c} else (julianday(${c}) - 2440587.5) * 86400000.0 end)`;
  return `(${c} is null or ${ms} >= (julianday('now') - 2440587.5) * 86400000.0 - ${seconds * 1000})`;
}

function literal(dialect: Dialect, value: string | number | boolean): string {
  if (typeof value === 'boolean') return dialect === 'postgresql' ? String(value) : value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ProjectionError(`filter value ${value} is not a finite number`);
    return String(value);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

export function compileProjection(
  projection: HotProjection,
  lookup: MetadataLookup,
  dialect: Dialect,
): CompiledProjection {
  checkHotProjections([projection], lookup);
  // Checked above: the entity and every named property exist.
  const meta = lookup(projection.entity)!;
  const columnOf = (property: string) => {
    const prop = meta.properties[property]!;
    return { prop, column: prop.fieldNames[0]! };
  };
  const fields = Object.entries(projection.fields).map(([name, property]) => {
    const { prop, column } = columnOf(property);
    const items = fieldChoices(prop, projection.schema?.[name]);
    return {
      name,
      column,
      kind: kindOf(prop),
      valueType: valueTypeOf(prop, lookup),
      ...(items && { items }),
    };
  });
  // PostgreSQL: row_to_json writes compact JSON (json_build_object would write `"id" : 1, `), so both
  // dialects serve the same bytes; json columns are embedded verbatim.
  const json =
    dialect === 'postgresql'
      ? `(select row_to_json(r)::text from (select ${fields.map((f) => `${valueSql(dialect, f.kind, f.column)} as "${f.name}"`).join(', ')}) r)`
      : `json_object(${fields.map((f) => `'${f.name}', ${valueSql(dialect, f.kind, f.column)}`).join(', ')})`;
  const conditions = Object.entries(projection.where ?? {}).map(
    ([property, value]) => `t.${quote(dialect, columnOf(property).column)} = ${literal(dialect, value)}`,
  );
  const table = quote(dialect, meta.tableName);
  const base = `select t.${quote(dialect, 'id')} as id, ${json} as json from ${table} t`;
  const rowFilter = conditions.length > 0 ? conditions.join(' and ') : '1 = 1';
  const window = projection.hotWindow;
  const inWindow = window && windowSql(dialect, columnOf(window.property).column, window.seconds);
  const filter = inWindow ? `${rowFilter} and ${inWindow}` : rowFilter;
  const pastWindow = inWindow ? `${rowFilter} and not ${inWindow}` : rowFilter;
  const idIn =
    dialect === 'postgresql' ? `t."id" = any($1::bigint[])` : 't.`id` in (select value from json_each(?))';
  const byId = `${base} where t.${quote(dialect, 'id')} = ${dialect === 'postgresql' ? '?::bigint' : '?'}`;
  // The owner key is text (ownerKeyOf): compared as text, whatever the column's type.
  const ownerProperty = projection.rowAccess && projection.fields[projection.rowAccess.field];
  const ownerColumn =
    ownerProperty === undefined
      ? undefined
      : dialect === 'postgresql'
        ? `t.${quote(dialect, columnOf(ownerProperty).column)}::text = ?`
        : `cast(t.${quote(dialect, columnOf(ownerProperty).column)} as text) = ?`;
  return {
    collection: projection.collection,
    table: meta.tableName,
    scope: projection.scope,
    filterable: projection.filterable ?? [],
    ...(projection.rowAccess ? { rowAccess: projection.rowAccess } : {}),
    fields,
    snapshotSql: `${base} where ${filter} order by t.${quote(dialect, 'id')}`,
    rereadSql: `${base} where ${idIn} and ${filter}`,
    ...(window ? { hotWindowMs: window.seconds * 1000 } : {}),
    // bigint on PostgreSQL: an id past the column's integer range then matches nothing (not an error).
    lookupSql: `${byId} and ${pastWindow}`,
    ...(ownerColumn ? { lookupOwnedSql: `${byId} and ${ownerColumn} and ${pastWindow}` } : {}),
  };
}

/**
 * Checks every declaration against the ORM metadata (a ProjectionError names the declaration and what
 * is wrong: start-up stops there), then compiles each one.
 */
export function compileProjections(
  projections: readonly HotProjection[],
  lookup: MetadataLookup,
  dialect: Dialect,
): CompiledProjection[] {
  checkHotProjections(projections, lookup);
  return projections.map((projection) => compileProjection(projection, lookup, dialect));
}
