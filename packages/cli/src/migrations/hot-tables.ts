import { hotProjections } from '@tandem/models';

/** The tables of the hot collections (from the registry): the ones that get change-capture triggers. */
export function hotTableNames(): string[] {
  return hotProjections.map((projection) => projection.table);
}
