/** What a run answers for an item that failed on its own: its call rejects with `error`. */
export class ItemFailed {
  constructor(readonly error: unknown) {}
}

/**
 * Runs the items of one batch together; its answer holds one result per item, in their order (an
 * ItemFailed for an item that failed alone). A rejected run fails every item of the batch.
 */
export type RunBatch<Item, Result> = (items: readonly Item[]) => Promise<readonly (Result | ItemFailed)[]>;

/**
 * The calls of one event-loop turn, answered by one run. Under load the token endpoint takes many
 * requests at once; each used to make its own statement (a socket write, a reply and, for a write, a
 * commit). Gathered by setImmediate, every request whose body arrived in the same turn shares the run,
 * and none waits longer than that turn. A failed run fails the calls of its batch, and only those.
 */
export class TurnBatch<Item, Result> {
  private items: Item[] = [];
  private waiters: Waiter<Result>[] = [];

  constructor(private readonly run: RunBatch<Item, Result>) {}

  add(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.items.push(item);
      this.waiters.push({ resolve, reject });
      if (this.items.length === 1) setImmediate(this.send);
    });
  }

  private readonly send = (): void => {
    const { items, waiters } = this;
    this.items = [];
    this.waiters = [];
    this.run(items).then(
      (results) => {
        for (let i = 0; i < waiters.length; i++) {
          const result = results[i]!;
          if (result instanceof ItemFailed) waiters[i]!.reject(result.error);
          else waiters[i]!.resolve(result);
        }
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  };
}

interface Waiter<Result> {
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A run for statements the database may refuse for one item's sake (a value it cannot store, a
 * deadlock): when it refused the batch's statement, each item is run alone, so only the item that
 * causes it fails. Any other failure (the connection lost: a write may have happened) fails the batch.
 */
export function aloneWhenRefused<Item, Result>(
  run: (items: readonly Item[]) => Promise<readonly Result[]>,
): RunBatch<Item, Result> {
  return async (items) => {
    try {
      return await run(items);
    } catch (error) {
      if (items.length === 1 || !statementRefused(error)) throw error;
      return Promise.all(
        items.map((item) =>
          run([item]).then(
            ([result]) => result as Result,
            (alone: unknown) => new ItemFailed(alone),
          ),
        ),
      );
    }
  };
}

/**
 * The database answered the statement with an error, so it did nothing: node-postgres's DatabaseError
 * carries the server's severity and SQLSTATE; a lost connection's error carries neither.
 */
function statementRefused(error: unknown): boolean {
  const { severity, code } = (error ?? {}) as { severity?: unknown; code?: unknown };
  return typeof severity === 'string' && typeof code === 'string';
}
