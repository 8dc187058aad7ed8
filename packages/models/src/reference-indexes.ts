import { ReferenceKind, Utils, type MetadataStorage } from '@mikro-orm/core';

/**
 * Every many-to-one reference gets an index of its own unless its declaration says `.index(false)` or
 * declares an index of that property alone: Django's rule for a ForeignKey. MikroORM applies this rule
 * on SQLite (its SQL platforms index foreign keys) but not on PostgreSQL, so one declaration gave a
 * team's new reference an index on one database and none on the other, where deleting a referenced row
 * then read the whole referencing table to check it. Run after discovery (MikroORM's
 * `afterDiscovered`), so that the pivot tables MikroORM makes for many-to-many properties get it too
 * (their two columns are indexed on SQLite). On SQLite every reference already has its flag, and
 * nothing changes there.
 */
export function indexReferences(storage: MetadataStorage): void {
  for (const meta of Object.values(storage.getAll())) {
    for (const prop of meta.props) {
      if (prop.kind !== ReferenceKind.MANY_TO_ONE) continue;
      // A pivot table's columns are MikroORM's, never declared: their flag is the platform's default.
      if (meta.pivotTable) {
        prop.index = true;
        continue;
      }
      if (prop.index !== undefined) continue;
      // The same test as MikroORM's own rule (MetadataDiscovery's initIndexes), so SQLite's indexes,
      // which that rule made and the committed migrations hold, are exactly the ones decided here.
      const declared = meta.indexes.some((index) => {
        const properties = Utils.asArray(index.properties);
        return properties.length === 1 && properties[0] === prop.name;
      });
      if (!declared) prop.index = true;
    }
  }
}
