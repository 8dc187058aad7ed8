import type { ClientRow } from './store.js';
import { TurnBatch, aloneWhenRefused } from './turn-batch.js';

/** Reads the rows of these client ids (those that exist) in one query. */
export type FindClients = (clientIds: readonly string[]) => Promise<ReadonlyMap<string, ClientRow>>;

/**
 * The client lookups of one event-loop turn, answered by one query of their distinct ids (a
 * TurnBatch): each lookup gets what a query of its own, run at that moment, would have returned.
 * Nothing is kept between turns, so a deactivated client is seen at once. A query the database
 * refused for one id's sake is retried id by id, so that id's request alone fails.
 */
export class ClientLookups {
  private readonly batch: TurnBatch<string, ClientRow | undefined>;

  constructor(findClients: FindClients) {
    this.batch = new TurnBatch(
      aloneWhenRefused(async (clientIds) => {
        const rows = await findClients([...new Set(clientIds)]);
        return clientIds.map((clientId) => rows.get(clientId));
      }),
    );
  }

  find(clientId: string): Promise<ClientRow | undefined> {
    return this.batch.add(clientId);
  }
}
