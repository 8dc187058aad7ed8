/**
 * A bounded LRU of verified tokens, keyed by the compact JWT itself. An entry lives until the token's
 * `exp` (plus leeway): a repeat request costs one Map lookup instead of a signature check. Map keeps
 * insertion order, so re-inserting on a hit makes the first key the least recently used.
 */
export class TokenCache<T extends { readonly expiresAtMs: number }> {
  private readonly entries = new Map<string, T>();
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
    const entry = this.entries.get(token);
    if (entry === undefined) {
      this.misses += 1;
      return undefined;
    }
    if (entry.expiresAtMs + this.leewayMs <= now) {
      this.entries.delete(token);
      this.misses += 1;
      return undefined;
    }
    this.entries.delete(token);
    this.entries.set(token, entry);
    this.hits += 1;
    return entry;
  }

  /** Like get, without counting or reordering (a second look within the same request). */
  peek(token: string, now: number): T | undefined {
    const entry = this.entries.get(token);
    return entry !== undefined && entry.expiresAtMs + this.leewayMs > now ? entry : undefined;
  }

  set(token: string, entry: T): void {
    this.entries.delete(token);
    this.entries.set(token, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
