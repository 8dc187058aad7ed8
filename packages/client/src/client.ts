import { CollectionClient } from './collection.js';
import type { CollectionName } from './collection-types.js';
import { EtagCache } from './etag-cache.js';
import { FastHttp } from './fast-http.js';
import { collections as collectionInfo, type Collections } from './generated/collections.js';
import { LiveClient, type LiveOptions } from './live.js';
import { TokenClient } from './tokens.js';
import type { WebSocketConstructor } from './websocket.js';

export interface TandemClientOptions {
  /** The auth service, e.g. http://127.0.0.1:8001. */
  readonly authUrl: string;
  /** The fast service, e.g. http://127.0.0.1:8002. */
  readonly fastUrl: string;
  /** The platform's fetch by default; pass one to add logging, a proxy agent, or a timeout. */
  readonly fetch?: typeof fetch;
  /** A WebSocket class for environments that have none (Node 20 uses the `ws` package on its own). */
  readonly WebSocket?: WebSocketConstructor;
  /** How many GET answers are kept for ETag reuse (1000; 0 turns the cache off). */
  readonly cacheEntries?: number;
  /** Renew an access token this long before it expires (30 s). */
  readonly expiryMarginMs?: number;
  /** Live reconnect backoff, in ms: first delay and cap (250 and 10000). */
  readonly liveBackoff?: LiveOptions['backoff'];
}

export type CollectionClients = { readonly [N in CollectionName]: CollectionClient<N> };

export interface TandemClient {
  readonly tokens: TokenClient;
  /** One typed client per hot collection: `collections.products.get(42)`. */
  readonly collections: CollectionClients;
  readonly live: LiveClient;
  /** Ends live subscriptions and forgets cached answers (the tokens stay until signOut/revoke). */
  close(): void;
}

/** A client for one Tandem deployment: tokens from auth, collections and live changes from fast. */
export function createTandemClient(options: TandemClientOptions): TandemClient {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const tokens = new TokenClient({
    authUrl: options.authUrl,
    fetch: fetchFn,
    ...(options.expiryMarginMs === undefined ? {} : { expiryMarginMs: options.expiryMarginMs }),
  });
  const cache = new EtagCache(options.cacheEntries ?? 1000);
  const http = new FastHttp({ baseUrl: options.fastUrl, tokens, cache, fetch: fetchFn });
  const names = Object.keys(collectionInfo) as (keyof Collections)[];
  const clients = Object.fromEntries(names.map((name) => [name, new CollectionClient(name, http)]));
  const live = new LiveClient({
    fastUrl: options.fastUrl,
    tokens,
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    ...(options.liveBackoff ? { backoff: options.liveBackoff } : {}),
  });
  return {
    tokens,
    collections: clients as unknown as CollectionClients,
    live,
    close() {
      live.close();
      cache.clear();
    },
  };
}
