import type { ClientRow } from './store.js';

/** Reads the rows of these client ids (those that exist) in one query. */
export type FindClients = (clientIds: readonly string[]) => Promise<ReadonlyMap<string, ClientRow>>;

/**
 * The client lookups of one event-loop turn, answered by one query. Under load a token endpoint takes
 * many client_credentials grants at once; each read its client on its own (a statement, a socket write
 * and a reply per token). Gathered by setImmediate, every request whose body arrived in the same turn
 * shares the query, and one id asked twice is read once: each lookup gets what a query of its own,
 * run at that moment, would have returned.
 */
export class ClientLookups {
  private batch = new Map<string, Waiter[]>();

  constructor(private readonly findClients: FindClients) {}

  find(clientId: string): Promise<ClientRow | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.batch.get(clientId);
      if (waiters !== undefined) {
        waiters.push({ resolve, reject });
        return;
      }
      this.batch.set(clientId, [{ resolve, reject }]);
      if (this.batch.size === 1) setImmediate(this.send);
    });
  }

  private readonly send = (): void => {
    const batch = this.batch;
    this.batch = new Map();
    this.findClients([...batch.keys()]).then(
      (rows) => {
        for (const [clientId, waiters] of batch) for (const w of waiters) w.resolve(rows.get(clientId));
      },
      (error: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
      },
    );
  };
}

interface Waiter {
  readonly resolve: (row: ClientRow | undefined) => void;
  readonly reject: (error: unknown) => void;
}
