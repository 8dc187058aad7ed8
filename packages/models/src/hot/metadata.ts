/** The slice of MikroORM entity metadata that projections are checked and compiled against (structural). */
export interface EntityMetadataLike {
  readonly tableName: string;
  readonly properties: Readonly<
    Record<
      string,
      {
        readonly fieldNames: readonly string[];
        readonly type: string;
        readonly kind: string;
        readonly runtimeType?: string;
        /** The column's SQL type as MikroORM maps it (`date`, `numeric(4,2)`, ...). */
        readonly columnTypes?: readonly string[];
        /** A decimal's digits after the point. */
        readonly scale?: number;
        /** An enum property (p.enum) and its items. */
        readonly enum?: boolean;
        readonly items?: readonly unknown[];
        readonly primary?: boolean;
        /** Filled by the ORM on insert or update (timestamps): never taken from a client's body. */
        readonly onCreate?: unknown;
        readonly onUpdate?: unknown;
      }
    >
  >;
}
export type MetadataLookup = (entityName: string) => EntityMetadataLike | undefined;

/**
 * A declaration's or the metadata's own entry under `key`: a name such as "constructor" or "toString"
 * must not find Object.prototype's, which passed the checks and then failed in compileProjection with
 * a TypeError naming no declaration.
 */
export const ownEntry = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;
