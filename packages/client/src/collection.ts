import { clipped } from './bounded-body.js';
import type { CollectionName, CreateOf, FiltersOf, Page, PatchOf, RecordOf } from './collection-types.js';
import { ApiError } from './errors.js';
import type { FastHttp, GetOptions } from './fast-http.js';
import { collections } from './generated/collections.js';
import {
  writeHeaders,
  writeResult,
  type ChangeOptions,
  type WriteOptions,
  type WriteResult,
} from './write-result.js';

export type ListQuery<N extends CollectionName> = FiltersOf<N> & {
  /** Records per page: 1 to 1000 (the service's default is 50). */
  readonly limit?: number;
  /** The `next` cursor of the previous page. */
  readonly after?: string;
  readonly signal?: AbortSignal;
};

export type IterateQuery<N extends CollectionName> = Omit<ListQuery<N>, 'after'>;

/**
 * One collection, typed by its generated record and write bodies: GET /v1/{collection}/{id} and
 * /v1/{collection}, and the writes it takes (POST, PATCH, DELETE).
 */
export class CollectionClient<N extends CollectionName> {
  constructor(
    readonly name: N,
    private readonly http: FastHttp,
  ) {}

  /** One record by id; an ApiError with status 404 (`not_found`) when there is none. */
  get(id: number, options: GetOptions = {}): Promise<RecordOf<N>> {
    return this.http.getJson<RecordOf<N>>(this.recordPath(id), options);
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

  /**
   * Every record matching the filters, page after page (each page fetched when the previous is used up).
   * A `next` cursor already followed in this iteration is an ApiError (`unexpected_response`): the
   * service's cursors only move forward, and following one again would fetch pages without end.
   */
  async *iterate(
    query: IterateQuery<N> = {} as IterateQuery<N>,
  ): AsyncGenerator<RecordOf<N>, void, undefined> {
    const followed = new Set<string>();
    let after: string | undefined;
    do {
      const page = await this.list({ ...query, ...(after === undefined ? {} : { after }) } as ListQuery<N>);
      yield* page.items;
      after = page.next ?? undefined;
      if (after !== undefined && followed.has(after))
        throw new ApiError(
          200,
          'unexpected_response',
          `The fast service repeated the cursor ${JSON.stringify(clipped(after))} of ${this.name}: ` +
            'iterating would not end.',
        );
      if (after !== undefined) followed.add(after);
    } while (after !== undefined);
  }

  /**
   * Creates a record (POST /v1/{collection}): queued durably, then applied by the source of truth, whose
   * outcome is awaited for `wait` seconds. A refusal, at once or when applied, is an ApiError.
   */
  async create(body: CreateOf<N>, options: WriteOptions = {}): Promise<WriteResult<RecordOf<N>>> {
    this.takes('create');
    const { headers, idempotencyKey } = writeHeaders(options, 'application/json');
    const path = `/v1/${encodeURIComponent(this.name)}`;
    const answer = await this.http.write({ method: 'POST', path, body, headers, ...this.abort(options) });
    const result = writeResult<RecordOf<N>>(answer, idempotencyKey);
    if (result.state === 'applied' && result.etag !== null && result.location !== null)
      this.http.remember(result.location, result.etag, answer.text);
    return result;
  }

  /** Changes a record (PATCH, a JSON Merge Patch: the fields to change; `null` clears a nullable one). */
  async update(
    id: number,
    patch: PatchOf<N>,
    options: ChangeOptions = {},
  ): Promise<WriteResult<RecordOf<N>>> {
    const path = this.recordPath(id);
    this.takes('update');
    const { headers, idempotencyKey } = writeHeaders(options, 'application/merge-patch+json');
    const answer = await this.http.write({
      method: 'PATCH',
      path,
      body: patch,
      headers,
      ...this.abort(options),
    });
    const result = writeResult<RecordOf<N>>(answer, idempotencyKey);
    if (result.state === 'applied' && result.etag !== null)
      this.http.remember(path, result.etag, answer.text);
    return result;
  }

  /** Deletes a record (DELETE /v1/{collection}/{id}). */
  async delete(id: number, options: ChangeOptions = {}): Promise<WriteResult<RecordOf<N>>> {
    const path = this.recordPath(id);
    this.takes('delete');
    const { headers, idempotencyKey } = writeHeaders(options);
    const answer = await this.http.write({ method: 'DELETE', path, headers, ...this.abort(options) });
    const result = writeResult<RecordOf<N>>(answer, idempotencyKey);
    if (result.state === 'deleted') this.http.forget(path);
    return result;
  }

  /** /v1/{collection}/{id}, refusing an id that is not a positive integer before anything is sent. */
  private recordPath(id: number): string {
    if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`id must be a positive integer, got ${id}`);
    return `/v1/${encodeURIComponent(this.name)}/${id}`;
  }

  /** Refuses, before anything is sent, a write the collection does not take. */
  private takes(op: 'create' | 'update' | 'delete'): void {
    const writes: Readonly<Record<string, unknown>> | null = collections[this.name].writes;
    if (writes?.[op] !== true)
      throw new TypeError(`${this.name} takes no ${op === 'update' ? 'changes' : `${op}s`}`);
  }

  private abort(options: WriteOptions): { signal?: AbortSignal } {
    return options.signal ? { signal: options.signal } : {};
  }
}
