interface Slot<T> {
  readonly value: T;
  /** Insertion sequence number: how recently the entry was (re)inserted. */
  seq: number;
}

/**
 * A bounded LRU of verified tokens, keyed by the compact JWT itself. An entry lives until the token's
 * `exp` (plus leeway): a repeat request costs one Map lookup instead of a signature check. Map keeps
 * insertion order, so re-inserting makes the first key the least recently used. A hit re-inserts only
 * when the entry has drifted into the older half, so a busy token costs a plain lookup almost always
 * (an approximate LRU: an entry used within the last capacity/2 insertions is never evicted).
 */
export class TokenCache<T extends { readonly expiresAtMs: number }> {
  private readonly entries = new Map<string, Slot<T>>();
  private seq = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly capacity: number,
    private readonly leewayMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string, now: number): T | undefined {
    const slot = this.entries.get(token);
    if (slot === undefined) {
      this.misses += 1;
      return undefined;
    }
    if (slot.value.expiresAtMs + this.leewayMs <= now) {
      this.entries.delete(token);
      this.misses += 1;
      return undefined;
    }
    if (this.seq - slot.seq > this.capacity >>> 1) {
      this.entries.delete(token);
      slot.seq = ++this.seq;
      this.entries.set(token, slot);
    }
    this.hits += 1;
    return slot.value;
  }

  /** Like get, without counting or reordering (a second look within the same request). */
  peek(token: string, now: number): T | undefined {
    const slot = this.entries.get(token);
    return slot !== undefined && slot.value.expiresAtMs + this.leewayMs > now ? slot.value : undefined;
  }

  set(token: string, entry: T): void {
    this.entries.delete(token);
    this.entries.set(token, { value: entry, seq: ++this.seq });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
