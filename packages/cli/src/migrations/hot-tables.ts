import { entities, hotProjections } from '@tandem/models';
import { CommandError } from '../command.js';

/** The tables of the hot collections: the ones whose migrations get change-capture triggers. */
export function hotTableNames(): string[] {
  return hotProjections.map((projection) => {
    const entity = entities.find((candidate) => candidate.meta.className === projection.entity);
    if (!entity)
      throw new CommandError(
        `hot collection "${projection.collection}" names entity ${projection.entity}, which is not a registered entity`,
      );
    return entity.meta.tableName ?? entity.meta.collection;
  });
}
