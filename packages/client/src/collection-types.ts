import type { Collections } from './generated/collections.js';

/** The name of a hot collection, e.g. `'products'` (the URL segment of /v1/{collection}). */
export type CollectionName = keyof Collections & string;
/** The JSON record of a collection, as generated from its projection and the ORM metadata. */
export type RecordOf<N extends CollectionName> = Collections[N]['record'];
/** The fields a list of the collection may be filtered on (`?categoryId=3`). */
export type FiltersOf<N extends CollectionName> = Collections[N]['filters'];
/** The body of a new record of the collection (POST); `never` when it takes no creates. */
export type CreateOf<N extends CollectionName> = Collections[N]['create'];
/** A change to a record of the collection (PATCH, a JSON Merge Patch); `never` when it takes none. */
export type PatchOf<N extends CollectionName> = Collections[N]['patch'];

/** A live topic: a whole collection (`'products'`) or one record (`'products/42'`). */
export type Topic = CollectionName | `${CollectionName}/${number}`;
/** The collection a topic belongs to. */
export type TopicCollection<T extends Topic> = T extends `${infer C extends CollectionName}/${number}`
  ? C
  : T;

/** One change pushed on a live topic: a record written (or newly visible), or removed (or hidden). */
export type LiveChange<R> =
  | { readonly topic: string; readonly op: 'upsert'; readonly id: number; readonly data: R }
  | { readonly topic: string; readonly op: 'delete'; readonly id: number; readonly data: null };

export type ChangeOf<T extends Topic> = LiveChange<RecordOf<TopicCollection<T>>>;

/** One page of a list: `next` is the cursor of the following page, null on the last one. */
export interface Page<R> {
  readonly items: R[];
  readonly next: string | null;
}
