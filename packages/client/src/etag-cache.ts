/** A response body kept with the ETag it was served with. */
export interface CachedBody {
  readonly etag: string;
  /** The JSON text as received: parsed again on each reuse, so callers never share a mutable object. */
  readonly text: string;
}

/**
 * The bodies of recent GETs by URL, so that the next GET of the same URL can send `If-None-Match` and
 * reuse the body on a 304. Bounded: the least recently used entry goes first (a Map keeps insertion
 * order, and every use re-inserts its entry at the end).
 */
export class EtagCache {
  private readonly entries = new Map<string, CachedBody>();

  constructor(private readonly maxEntries: number) {}

  get(url: string): CachedBody | undefined {
    const entry = this.entries.get(url);
    if (entry) {
      this.entries.delete(url);
      this.entries.set(url, entry);
    }
    return entry;
  }

  set(url: string, entry: CachedBody): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(url);
    this.entries.set(url, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  delete(url: string): void {
    this.entries.delete(url);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
