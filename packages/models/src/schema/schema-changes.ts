import type { ColumnDifference, SchemaDifference, TableDifference } from '@mikro-orm/knex';

/** PostgreSQL names tables "public.products" in a diff; people know them as "products". */
function shortName(name: string): string {
  return name.replace(/^public\./, '');
}

function columnChange(change: ColumnDifference): string {
  const from = change.fromColumn;
  const to = change.column;
  const details = [...change.changedProperties].map((property) => {
    if (property === 'type') return `type ${from.type} -> ${to.type}`;
    if (property === 'nullable') return to.nullable ? 'now nullable' : 'now not null';
    if (property === 'default') return `default ${from.default ?? 'none'} -> ${to.default ?? 'none'}`;
    if (property === 'length') return `length ${from.length ?? 'none'} -> ${to.length ?? 'none'}`;
    return property;
  });
  return `alter column ${to.name} (${details.join(', ')})`;
}

function tableChanges(diff: TableDifference): string[] {
  const table = shortName(diff.name);
  const lines = [
    ...Object.keys(diff.addedColumns).map((column) => `add column ${column}`),
    ...Object.values(diff.changedColumns).map(columnChange),
    ...Object.entries(diff.renamedColumns).map(([from, column]) => `rename column ${from} -> ${column.name}`),
    ...Object.keys(diff.removedColumns).map((column) => `drop column ${column}`),
    ...Object.keys(diff.addedIndexes).map((index) => `add index ${index}`),
    ...Object.keys(diff.changedIndexes).map((index) => `alter index ${index}`),
    ...Object.entries(diff.renamedIndexes).map(([from, index]) => `rename index ${from} -> ${index.keyName}`),
    ...Object.keys(diff.removedIndexes).map((index) => `drop index ${index}`),
    ...Object.keys(diff.addedForeignKeys).map((key) => `add foreign key ${key}`),
    ...Object.keys(diff.changedForeignKeys).map((key) => `alter foreign key ${key}`),
    ...Object.keys(diff.removedForeignKeys).map((key) => `drop foreign key ${key}`),
    ...Object.keys(diff.addedChecks).map((check) => `add check ${check}`),
    ...Object.keys(diff.changedChecks).map((check) => `alter check ${check}`),
    ...Object.keys(diff.removedChecks).map((check) => `drop check ${check}`),
  ];
  if ('changedComment' in diff) lines.push('change comment');
  return lines.map((line) => `${table}: ${line}`);
}

/** One line per difference, "table: what", e.g. "categories: add column city". */
export function describeSchemaDifference(diff: SchemaDifference): string[] {
  return [
    ...Object.values(diff.newTables).map((table) => `${shortName(table.name)}: new table`),
    ...Object.values(diff.changedTables).flatMap(tableChanges),
    ...Object.values(diff.removedTables).map((table) => `${shortName(table.name)}: drop table`),
  ];
}

/**
 * Changes SQLite's ALTER TABLE cannot make in place. MikroORM (through knex) would emit a table
 * rebuild for them: a copy that silently loses the CHECK constraints and change-capture triggers the
 * migrations installed, and that needs a live database to read the old table. Refused instead, with
 * what to do.
 */
export function sqliteRefusals(diff: SchemaDifference): string[] {
  return Object.values(diff.changedTables).flatMap((table) => {
    const name = shortName(table.name);
    const addedColumnKeys = Object.values(table.addedForeignKeys).filter(
      (key) => key.columnNames.length === 1 && key.columnNames[0]! in table.addedColumns,
    );
    return [
      ...Object.values(table.changedColumns).map((change) => `${name}: ${columnChange(change)}`),
      ...Object.keys(table.addedForeignKeys)
        .filter((key) => !addedColumnKeys.some((added) => added.constraintName === key))
        .map((key) => `${name}: add foreign key ${key} to existing columns`),
      ...Object.keys(table.changedForeignKeys).map((key) => `${name}: alter foreign key ${key}`),
      ...Object.keys(table.removedForeignKeys).map((key) => `${name}: drop foreign key ${key}`),
      ...Object.values(table.changedIndexes)
        .filter((index) => index.primary)
        .map(() => `${name}: change the primary key`),
    ];
  });
}

export const SQLITE_REFUSAL_HELP = [
  'SQLite cannot ALTER these in place, and a generated table rebuild would drop the CHECK constraints',
  'and change-capture triggers of the table. Nothing was written. Either:',
  '  - change it in steps: add a new property (makemigrations), copy the data in a migration made',
  '    with `tandem makemigrations --empty --name copy_x`, then remove the old property (makemigrations;',
  '    a reference property, whose foreign key SQLite cannot drop either, goes with --empty below); or',
  '  - run `tandem makemigrations --empty --name NAME` and write the change by hand in both files (on',
  '    SQLite: create the new table, copy the rows, drop the old one, rename, then re-create its',
  '    indexes, checks and, for a hot table, changeCaptureSql(...)); --empty records the new state.',
].join('\n');

/**
 * Changes that would lose data, or that no database could apply, on either dialect: refused, each line
 * saying what to do instead. A column dropped and another added in one step is how a rename looks
 * when anything else about the column changed too (its length, its type): MikroORM then writes a
 * rename on one dialect and a drop and an add on the other, and the drop loses the column's data.
 * A column added NOT NULL without a default has no value for the rows already there: SQLite refuses
 * it even on an empty table, PostgreSQL as soon as one row exists.
 */
export function dataLossRefusals(diff: SchemaDifference): string[] {
  return Object.values(diff.changedTables).flatMap((table) => {
    const name = shortName(table.name);
    const dropped = Object.keys(table.removedColumns);
    const added = Object.values(table.addedColumns);
    const lines: string[] = [];
    if (dropped.length > 0 && added.length > 0)
      lines.push(
        `${name}: drop column ${dropped.join(', ')} and add column ${added.map((c) => c.name).join(', ')} in one step. ` +
          'If this is a rename, rename the property alone first (makemigrations), then change it in a second step: ' +
          'the data is kept. If the old data is really to go, drop the old property in its own makemigrations.',
      );
    for (const column of added)
      if (!column.nullable && column.default == null && !column.autoincrement)
        lines.push(
          `${name}: add column ${column.name} NOT NULL without a default: the rows already there would have no value. ` +
            'Give it a default (.default(...)): the rows get it. To fill them otherwise, add it nullable and fill it in a ' +
            'migration of your own (`tandem makemigrations --empty`); making it NOT NULL afterwards is a change SQLite ' +
            'cannot ALTER, so keep it nullable with a rule in the model, or write that step by hand with --empty.',
        );
    return lines;
  });
}

/**
 * PostgreSQL's ALTER COLUMN ... TYPE as MikroORM writes it casts explicitly (`using ("c"::varchar(10))`),
 * and an explicit cast to a shorter varchar cuts values off without an error. Without the USING clause
 * PostgreSQL converts by assignment, which refuses a value that does not fit ("value too long"): the
 * migration then fails and changes nothing instead of truncating rows.
 */
export function withoutTruncatingCasts(sql: string): string {
  return sql.replace(/ using \("[^"]+"::(?:varchar|character varying|char|character)\(\d+\)\)/gi, '');
}
