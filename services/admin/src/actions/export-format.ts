import type AdminJS from 'adminjs';
import { ReferenceKind } from '@mikro-orm/core';
import type { OrmResource } from '../orm/resource.js';

/**
 * Cells a spreadsheet would read as a formula (OWASP "CSV injection"): = + - @, tab, CR or LF first;
 * also after leading white space (some importers trim it) and in their full-width forms (＝ ＋ － ＠,
 * which East Asian input turns into the ASCII ones).
 */
const FORMULA_START = /^[\t\r\n]|^[\s\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/;

/** A text cell that a spreadsheet shows as text: a leading quote before anything formula-like. */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** One exported column: its header and how to read it from an entity (references populated). */
export interface ExportColumn {
  readonly header: string;
  value(entity: object): unknown;
}

export const EXPORT_FORMATS = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  jsonl: { contentType: 'application/x-ndjson; charset=utf-8', extension: 'jsonl' },
} as const;

export type ExportFormat = keyof typeof EXPORT_FORMATS;

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && Object.hasOwn(EXPORT_FORMATS, value);
}

function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value === undefined) return null;
  return value;
}

/** The property a referenced model's records are named by (its admin's title), or its key. */
function titleOf(admin: AdminJS, model: string): string | undefined {
  const target = admin.resources.find((resource) => resource.id() === model);
  return target?.decorate().titleProperty()?.name();
}

function field(entity: unknown, name: string | undefined): unknown {
  if (entity === null || entity === undefined || name === undefined) return null;
  return plain((entity as Record<string, unknown>)[name]);
}

/**
 * The columns of an export: the fields the show page shows (so an export never reveals more than a
 * staff member could read record by record). A reference gives two columns, the related record's name
 * (`category`) and its id (`category_id`); a many-to-many gives the names and the ids as lists.
 */
export function exportColumns(admin: AdminJS, resource: OrmResource): ExportColumn[] {
  const shown = resource
    .decorate()
    .getProperties({ where: 'show' })
    .map((property) => resource.property(property.name()))
    .filter((property) => property !== null);
  return shown.flatMap((property): ExportColumn[] => {
    const name = property.path();
    const { kind, type } = property.meta;
    if (kind === ReferenceKind.SCALAR) return [{ header: name, value: (entity) => field(entity, name) }];
    const title = titleOf(admin, type);
    const targetPk = resource.orm.getMetadata().get(type).primaryKeys[0];
    const related = (entity: object) => (entity as Record<string, unknown>)[name];
    if (kind === ReferenceKind.MANY_TO_MANY) {
      const items = (entity: object) =>
        (related(entity) as { getItems(): object[] } | undefined)?.getItems() ?? [];
      return [
        { header: name, value: (entity) => items(entity).map((item) => field(item, title ?? targetPk)) },
        { header: `${name}_ids`, value: (entity) => items(entity).map((item) => field(item, targetPk)) },
      ];
    }
    return [
      { header: name, value: (entity) => field(related(entity), title ?? targetPk) },
      { header: `${name}_id`, value: (entity) => field(related(entity), targetPk) },
    ];
  });
}

/** A list a cell can show as "a; b; c" (tags, many-to-many names): text, numbers, flags or nothing. */
function isPlainList(value: unknown[]): boolean {
  return value.every(
    (item) => item === null || item === undefined || ['string', 'number', 'boolean'].includes(typeof item),
  );
}

/**
 * A CSV cell (RFC 4180): text quoted and neutralised, plain lists joined with "; ", null empty. Other
 * JSON (an order's lines, a list of objects) is written as JSON text, as the JSON Lines export has it.
 */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value) && isPlainList(value))
    return csvCell(value.map((item) => String(item ?? '')).join('; '));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `"${neutraliseCell(text).replaceAll('"', '""')}"`;
}

/** Writes rows in one format: the header (CSV only), then one line per entity. */
export interface RowWriter {
  header(): string;
  rows(entities: readonly object[]): string;
}

export function rowWriter(format: ExportFormat, columns: readonly ExportColumn[]): RowWriter {
  if (format === 'csv')
    return {
      // The byte-order mark makes spreadsheets read the file as UTF-8.
      header: () => `\uFEFF${columns.map((column) => csvCell(column.header)).join(',')}\r\n`,
      rows: (entities) =>
        entities
          .map((entity) => `${columns.map((column) => csvCell(column.value(entity))).join(',')}\r\n`)
          .join(''),
    };
  return {
    header: () => '',
    rows: (entities) =>
      entities
        .map(
          (entity) =>
            `${JSON.stringify(Object.fromEntries(columns.map((column) => [column.header, column.value(entity)])))}\n`,
        )
        .join(''),
  };
}
