/**
 * How many page sizes one owner keeps. A screen asks for one or two (`limit` is a client constant),
 * while `limit` may be anything from 1 to 1000: without a cap, one owner walking through the limits
 * would fill the whole budget with their own pages (and push every other owner out).
 */
export const SIZES_PER_OWNER = 4;

/**
 * "My list"'s first page, per owner and page size, as the response bytes last sent: in a row-access
 * collection an owner's rows lie scattered over the whole collection (an order is placed among
 * everyone else's), so assembling a page touches one cold record per item — at 1,000,000 orders that
 * cost ~55 µs of CPU per 50-item page against ~11 µs for sending the same bytes from one buffer. The
 * first page is what "my orders" screens ask for over and over, and it changes only when one of that
 * owner's rows does, so it is built once per change of the owner's rows (on the first read after it)
 * instead of once per request. Later pages (with a cursor) and filtered pages are assembled per request.
 *
 * Memory is bounded, whatever one owner asks for: the bytes held never exceed `budgetBytes`. An owner
 * keeps at most SIZES_PER_OWNER page sizes (their oldest size goes first); past the budget, the owners
 * who cached longest ago are dropped first, then the caching owner's own older sizes; a page larger
 * than the whole budget is returned and not kept. All of it happens when a page is remembered (a
 * miss): a hit does not reorder, so a read costs two Map lookups and nothing else.
 */
export class OwnerFirstPages {
  /** Owners in the order they last cached a page (oldest first); each owner's sizes likewise. */
  private readonly pages = new Map<string, Map<number, Buffer>>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number) {}

  get(owner: string, limit: number): Buffer | undefined {
    return this.pages.get(owner)?.get(limit);
  }

  /**
   * Keeps a copy of `body` (which may be a view of a reused buffer) as `owner`'s first page of
   * `limit` items, if it fits the budget at all, and returns the copy either way.
   */
  remember(owner: string, limit: number, body: Buffer): Buffer {
    const copy = Buffer.from(body);
    const mine = this.pages.get(owner) ?? new Map<number, Buffer>();
    // Taken out and put back below: this owner is now the one who cached last, evicted last.
    this.pages.delete(owner);
    // A page this size replaces is stale (remember follows a miss), kept or not.
    this.drop(mine, limit);
    if (copy.length > this.budgetBytes) {
      if (mine.size > 0) this.pages.set(owner, mine);
      return copy;
    }
    for (const size of mine.keys()) {
      if (mine.size < SIZES_PER_OWNER) break;
      this.drop(mine, size);
    }
    mine.set(limit, copy);
    this.bytes += copy.length;
    this.pages.set(owner, mine);
    for (const [oldest] of this.pages) {
      if (this.bytes <= this.budgetBytes) break;
      if (oldest !== owner) {
        this.forget(oldest);
        continue;
      }
      // Everyone else is gone and it is still too much: this owner's older sizes go. The new page
      // alone fits (checked above), so the loop ends within the budget.
      for (const size of mine.keys()) {
        if (this.bytes <= this.budgetBytes || size === limit) break;
        this.drop(mine, size);
      }
    }
    return copy;
  }

  /** One of `owner`'s rows changed (or arrived, or left): their cached pages no longer hold. */
  forget(owner: string): void {
    const mine = this.pages.get(owner);
    if (!mine) return;
    for (const page of mine.values()) this.bytes -= page.length;
    this.pages.delete(owner);
  }

  /** Bytes held, for /metrics and tests. */
  get size(): number {
    return this.bytes;
  }

  /** How many page sizes `owner` has kept, for tests. */
  sizesOf(owner: string): number {
    return this.pages.get(owner)?.size ?? 0;
  }

  private drop(mine: Map<number, Buffer>, limit: number): void {
    const page = mine.get(limit);
    if (page === undefined) return;
    this.bytes -= page.length;
    mine.delete(limit);
  }
}
