import type { Orm } from '@tandem/models';

export interface NumberedColumn {
  readonly table: string;
  readonly column: string;
  readonly prefix: string;
  readonly digits: number;
  readonly suffix?: string;
}

/**
 * The highest number among values this command made (prefix + N digits + suffix; 0 when none), so a
 * second run continues after it. A hand-made "DEMO-special" or "seed-user-x@example.com" must not
 * break the numbering.
 */
export async function lastNumber(
  orm: Orm,
  dialect: 'sqlite' | 'postgresql',
  { table, column, prefix, digits, suffix = '' }: NumberedColumn,
): Promise<number> {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern =
    dialect === 'sqlite'
      ? [`${column} glob ?`, `${prefix}${'[0-9]'.repeat(digits)}${suffix}`]
      : [`${column} ~ ?`, `^${escape(prefix)}[0-9]{${digits}}${escape(suffix)}$`];
  const row = (await orm.em
    .getKnex()(table)
    .whereRaw(pattern[0]!, [pattern[1]!])
    .max({ value: column })
    .first()) as { value: string | null } | undefined;
  const number = Number(row?.value?.slice(prefix.length, prefix.length + digits));
  return Number.isSafeInteger(number) ? number : 0;
}
