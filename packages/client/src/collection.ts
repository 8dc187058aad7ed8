import type { CollectionName, FiltersOf, Page, RecordOf } from './collection-types.js';
import type { FastHttp, GetOptions } from './fast-http.js';

export type ListQuery<N extends CollectionName> = FiltersOf<N> & {
  /** Records per page: 1 to 1000 (the service's default is 50). */
  readonly limit?: number;
  /** The `next` cursor of the previous page. */
  readonly after?: string;
  readonly signal?: AbortSignal;
};

export type IterateQuery<N extends CollectionName> = Omit<ListQuery<N>, 'after'>;

/** GET /v1/{collection}/{id} and /v1/{collection} for one collection, typed by its generated record. */
export class CollectionClient<N extends CollectionName> {
  constructor(
    readonly name: N,
    private readonly http: FastHttp,
  ) {}

  /** One record by id; an ApiError with status 404 (`not_found`) when there is none. */
  get(id: number, options: GetOptions = {}): Promise<RecordOf<N>> {
    if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`id must be a positive integer, got ${id}`);
    return this.http.getJson<RecordOf<N>>(`/v1/${encodeURIComponent(this.name)}/${id}`, options);
  }

  /** One page, ordered by id. Filters are the collection's filterable fields. */
  list(query: ListQuery<N> = {} as ListQuery<N>): Promise<Page<RecordOf<N>>> {
    const { signal, ...params } = query as ListQuery<N> & Record<string, unknown>;
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      search.set(name, String(value));
    }
    const encoded = search.toString();
    const suffix = encoded ? `?${encoded}` : '';
    return this.http.getJson<Page<RecordOf<N>>>(
      `/v1/${encodeURIComponent(this.name)}${suffix}`,
      signal ? { signal } : {},
    );
  }

  /** Every record matching the filters, page after page (each page fetched when the previous is used up). */
  async *iterate(
    query: IterateQuery<N> = {} as IterateQuery<N>,
  ): AsyncGenerator<RecordOf<N>, void, undefined> {
    let after: string | undefined;
    do {
      const page = await this.list({ ...query, ...(after === undefined ? {} : { after }) } as ListQuery<N>);
      yield* page.items;
      after = page.next ?? undefined;
    } while (after !== undefined);
  }
}
