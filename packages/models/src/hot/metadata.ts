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
        readonly primary?: boolean;
      }
    >
  >;
}
export type MetadataLookup = (entityName: string) => EntityMetadataLike | undefined;
