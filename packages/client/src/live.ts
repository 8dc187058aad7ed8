import { reconnectDelay, type BackoffOptions } from './backoff.js';
import type { ChangeOf, Topic } from './collection-types.js';
import { LiveError, NotSignedInError, OAuthError } from './errors.js';
import type { TokenClient } from './tokens.js';
import {
  socketFactory,
  type HandshakeFailure,
  type OpeningSocket,
  type SocketFactory,
  type SocketLike,
  type WebSocketConstructor,
} from './websocket.js';

/** Close codes of the fast service (services/fast/src/live.ts): the token expired / its session was revoked. */
const CLOSE_TOKEN_EXPIRED = 4401;
const CLOSE_SESSION_REVOKED = 4403;

/**
 * The fast service's topic grammar (TOPIC in services/fast/src/live.ts): a collection name, or a
 * collection and a record id. A topic outside it is refused here, before anything is sent: the
 * service refuses it too, but echoes at most 100 characters of it in its error frame, and a longer
 * topic (none of which it accepts: the grammar stops at 79) could not be matched to its subscription.
 */
const TOPIC = /^[a-z][a-z0-9_-]{0,62}(?:\/[1-9][0-9]{0,14})?$/;

export interface LiveOptions {
  /** The fast service, e.g. http://127.0.0.1:8002 (the socket is its /v1/live). */
  readonly fastUrl: string;
  readonly tokens: TokenClient;
  /** A WebSocket class to use instead of the platform's (or `ws` on Node 20). */
  readonly WebSocket?: WebSocketConstructor;
  /** Reconnect backoff: first delay and cap, in ms (250 and 10000). */
  readonly backoff?: Partial<BackoffOptions>;
  /** The jitter's random source (Math.random). */
  readonly random?: () => number;
}

/** What the connection is doing, for logs and status displays (see `LiveClient.onEvent`). */
export type LiveEvent =
  | { readonly type: 'connecting'; readonly attempt: number }
  | { readonly type: 'open' }
  | { readonly type: 'disconnected'; readonly code: number; readonly reason: string }
  | { readonly type: 'reconnect-scheduled'; readonly attempt: number; readonly delayMs: number }
  /** After a reconnect, every topic was subscribed again: changes made while away were not received. */
  | { readonly type: 'resubscribed'; readonly topics: readonly string[] }
  /** The connection gave up for good (no valid token can be had); every subscription got the error. */
  | { readonly type: 'failed'; readonly error: LiveError };

export interface SubscribeOptions {
  /** The subscription was refused (unknown topic, missing scope) or the connection gave up. */
  readonly onError?: (error: LiveError) => void;
}

export interface LiveSubscription {
  readonly topic: string;
  /** Resolves when the service confirmed the subscription; rejects with a LiveError if it refused it. */
  readonly ready: Promise<void>;
  unsubscribe(): void;
}

interface Subscriber {
  readonly handler: (change: never) => void;
  readonly onError: ((error: LiveError) => void) | undefined;
  readonly resolve: () => void;
  readonly reject: (error: LiveError) => void;
  confirmed: boolean;
}

interface TopicState {
  readonly subscribers: Set<Subscriber>;
  /** Confirmed on the current connection. */
  acked: boolean;
}

type Frame =
  | { type: 'change'; topic: string; op: 'upsert' | 'delete'; id: number; data: unknown }
  | { type: 'subscribed' | 'unsubscribed'; topic: string }
  | { type: 'error'; code: string; message: string; topic?: string };

/**
 * `subscribe(topic, handler)` over the fast service's WebSocket (GET /v1/live). One connection carries
 * every topic; it opens on the first subscription and closes after the last one ends. When it drops
 * (a restart, a network cut) it reconnects with exponential backoff and jitter and subscribes every
 * topic again; when the service closes it because the token expired or was revoked, or refuses to open
 * it for its token (see `refusedForToken`), a renewed token is fetched first. Changes made while
 * disconnected are not replayed: the `resubscribed` event says when to re-read what matters.
 */
export class LiveClient {
  private readonly topics = new Map<string, TopicState>();
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly url: string;
  private factory: Promise<SocketFactory> | undefined;
  private socket: SocketLike | undefined;
  private connecting = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Failed attempts since the last confirmed subscription (drives the backoff). */
  private attempt = 0;
  private connections = 0;
  private isOpen = false;
  /** Set when a reconnected socket opens; cleared once every topic is confirmed again. */
  private resubscribing = false;
  /**
   * The token this client renewed since a socket last opened: fresh from the auth service, so a socket
   * that then fails to open with it is taken for a network failure where the platform cannot tell.
   */
  private renewedWhileClosed: string | undefined;

  constructor(private readonly options: LiveOptions) {
    const url = new URL('/v1/live', options.fastUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = url.toString();
    this.backoff = { initialMs: 250, maxMs: 10_000, ...options.backoff };
    this.random = options.random ?? Math.random;
  }

  /** Calls `handler` with every change on `topic` (`'products'` or `'products/42'`) until unsubscribed. */
  subscribe<T extends Topic>(
    topic: T,
    handler: (change: ChangeOf<T>) => void,
    options: SubscribeOptions = {},
  ): LiveSubscription {
    let resolve!: () => void;
    let reject!: (error: LiveError) => void;
    const ready = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Marks the promise handled: a refusal nobody awaits must not crash the process (onError sees it).
    ready.catch(() => undefined);
    if (typeof topic !== 'string' || !TOPIC.test(topic)) {
      // The service's own code for it; told after subscribe returns, as the service's refusal would be.
      const shown = JSON.stringify(String(topic).slice(0, 100));
      const error = new LiveError(
        'unknown_topic',
        `No collection for topic ${shown}: a topic is a collection such as "products", or one record ` +
          'of it such as "products/42".',
        topic,
      );
      queueMicrotask(() => {
        reject(error);
        options.onError?.(error);
      });
      return { topic, ready, unsubscribe: () => undefined };
    }
    const subscriber: Subscriber = {
      handler: handler as (change: never) => void,
      onError: options.onError,
      resolve,
      reject,
      confirmed: false,
    };
    let state = this.topics.get(topic);
    if (!state) {
      state = { subscribers: new Set(), acked: false };
      this.topics.set(topic, state);
      this.sendFrame({ type: 'subscribe', topic });
    }
    state.subscribers.add(subscriber);
    if (state.acked) this.confirm(subscriber);
    this.ensureConnected();
    return { topic, ready, unsubscribe: () => this.unsubscribe(topic, subscriber) };
  }

  /** Connection events (connecting, open, disconnected, reconnect-scheduled, resubscribed, failed). */
  onEvent(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends every subscription and the connection. */
  close(): void {
    this.topics.clear();
    this.disconnect();
  }

  private emit(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private confirm(subscriber: Subscriber): void {
    if (subscriber.confirmed) return;
    subscriber.confirmed = true;
    subscriber.resolve();
  }

  private unsubscribe(topic: string, subscriber: Subscriber): void {
    const state = this.topics.get(topic);
    if (!state?.subscribers.delete(subscriber)) return;
    if (state.subscribers.size > 0) return;
    this.topics.delete(topic);
    if (this.topics.size === 0) return this.disconnect();
    this.sendFrame({ type: 'unsubscribe', topic });
  }

  private disconnect(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'no subscriptions');
  }

  private sendFrame(frame: { type: 'subscribe' | 'unsubscribe'; topic: string }): void {
    // Only on an open socket; a socket still connecting subscribes every topic when it opens.
    if (this.socket && this.isOpen) this.socket.send(JSON.stringify(frame));
  }

  private ensureConnected(): void {
    if (this.socket || this.connecting || this.timer) return;
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    if (this.topics.size === 0) return;
    this.connecting = true;
    this.emit({ type: 'connecting', attempt: this.attempt });
    let token: string;
    let open: SocketFactory;
    try {
      this.factory ??= socketFactory(this.options.WebSocket);
      open = await this.factory;
      token = await this.options.tokens.accessToken();
    } catch (error) {
      this.connecting = false;
      return this.afterTokenFailure(error);
    }
    this.connecting = false;
    if (this.topics.size === 0) return;
    let opening: OpeningSocket;
    try {
      opening = open(this.url, token);
    } catch {
      // A constructor that throws (a URL the platform refuses) is retried like a failed connection.
      return this.scheduleReconnect();
    }
    const { socket } = opening;
    this.socket = socket;
    this.isOpen = false;
    let opened = false;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      opened = true;
      this.isOpen = true;
      this.renewedWhileClosed = undefined;
      this.connections += 1;
      this.resubscribing = this.connections > 1;
      this.emit({ type: 'open' });
      for (const [topic, state] of this.topics) {
        state.acked = false;
        socket.send(JSON.stringify({ type: 'subscribe', topic }));
      }
    };
    socket.onmessage = (event) => {
      if (socket === this.socket && typeof event.data === 'string') this.receive(event.data);
    };
    socket.onerror = () => undefined; // a close event follows, handled there
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.socket = undefined;
      this.isOpen = false;
      this.emit({ type: 'disconnected', code: event.code, reason: event.reason });
      if (this.topics.size === 0) return;
      const refused = opened
        ? event.code === CLOSE_TOKEN_EXPIRED || event.code === CLOSE_SESSION_REVOKED
        : this.refusedForToken(token, opening.handshakeFailure());
      if (refused) void this.renewThenReconnect(token);
      else this.scheduleReconnect();
    };
  }

  /**
   * Whether a socket that never opened is taken as refused for its token, which is then renewed. The
   * service answers the upgrade with 401 when the token was revoked, or signed with a key it does not
   * know, while the client was away: reconnecting with the same token would fail until the token's own
   * expiry, and a dead session would never be reported. Where the status is known (`ws` on Node), a
   * 401 is renewed every time and a failure without one (the service down) never. Where it is not (the
   * browser's WebSocket), renewing after every failure would send a refresh per reconnect attempt
   * while the service is down; renewing never would keep a revoked token looping. So the token is
   * renewed once per stretch without an open socket: a token the auth service has just issued is
   * taken as good, and a failure with it as a network failure (a session revoked after that renewal,
   * before any socket opens, is then noticed only when the token expires).
   */
  private refusedForToken(token: string, failure: HandshakeFailure): boolean {
    if (failure.kind === 'refused') return failure.status === 401;
    if (failure.kind === 'unanswered') return false;
    return token !== this.renewedWhileClosed;
  }

  private async renewThenReconnect(rejected: string): Promise<void> {
    try {
      this.renewedWhileClosed = await this.options.tokens.accessTokenAfterRejection(rejected);
    } catch (error) {
      return this.afterTokenFailure(error);
    }
    this.scheduleReconnect();
  }

  /** A refused grant or no session ends the connection for good; anything else (network) is retried. */
  private afterTokenFailure(error: unknown): void {
    if (!(error instanceof OAuthError || error instanceof NotSignedInError)) return this.scheduleReconnect();
    const failure = new LiveError(
      'unauthorized',
      `No access token for the live connection: ${error.message}`,
    );
    this.emit({ type: 'failed', error: failure });
    for (const topic of [...this.topics.keys()]) this.refuse(topic, failure);
  }

  private scheduleReconnect(): void {
    if (this.topics.size === 0 || this.timer) return;
    this.attempt += 1;
    const delayMs = reconnectDelay(this.attempt, this.backoff, this.random);
    this.emit({ type: 'reconnect-scheduled', attempt: this.attempt, delayMs });
    this.timer = setTimeout(() => void this.connect(), delayMs);
  }

  private refuse(topic: string, error: LiveError): void {
    const state = this.topics.get(topic);
    this.topics.delete(topic);
    for (const subscriber of state?.subscribers ?? []) {
      subscriber.reject(error);
      subscriber.onError?.(error);
    }
    if (this.topics.size === 0) this.disconnect();
  }

  private receive(text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      return;
    }
    if (frame.type === 'change') {
      const change = { topic: frame.topic, op: frame.op, id: frame.id, data: frame.data } as never;
      for (const subscriber of [...(this.topics.get(frame.topic)?.subscribers ?? [])])
        subscriber.handler(change);
    } else if (frame.type === 'subscribed') {
      this.subscribed(frame.topic);
    } else if (frame.type === 'error' && frame.topic !== undefined && this.topics.has(frame.topic)) {
      this.refuse(frame.topic, new LiveError(frame.code, frame.message, frame.topic));
    }
  }

  private subscribed(topic: string): void {
    const state = this.topics.get(topic);
    if (!state) return;
    state.acked = true;
    for (const subscriber of state.subscribers) this.confirm(subscriber);
    // The connection works: the next drop starts the backoff from its first step again.
    this.attempt = 0;
    if (this.resubscribing && [...this.topics.values()].every((other) => other.acked)) {
      this.resubscribing = false;
      this.emit({ type: 'resubscribed', topics: [...this.topics.keys()] });
    }
  }
}
