import uWS, {
  type HttpResponse,
  type TemplatedApp,
  type WebSocket,
  type WebSocketBehavior,
} from 'uWebSockets.js';
import type { Logger } from '@tandem/log';
import { AccessTokenVerifier, type VerifiedAccessToken } from '@tandem/tokens';
import type { StoreChange } from './data/prepared-record.js';
import type { HotStore } from './data/store.js';
import type { FastMetrics } from './observability/metrics.js';
import { bearerToken, type AuthOutcome, type Authenticator } from './http/auth.js';
import { offeredProtocols } from './http/live-protocol.js';
import { refuseOversized, whenVerified, type Limits } from './http/pipeline.js';
import { notReady, ownerClaimMissingMessage } from './http/record.js';
import { jsonError, send, type Reply } from './http/respond.js';

export const LIVE_PATH = '/v1/live';
const TOPIC = /^([a-z][a-z0-9_-]{0,62})(?:\/([1-9][0-9]{0,14}))?$/;
export const MAX_TOPICS_PER_SOCKET = 1000;
/**
 * Subscriptions one subject holds over all its sockets. Each costs ~500 bytes of uWebSockets.js's
 * topic tree and our set: the per-socket cap times FAST_WS_MAX_SOCKETS_PER_SUBJECT (100,000) let one
 * account hold ~50 MB for as long as it answered pings.
 */
export const MAX_TOPICS_PER_SUBJECT = 10_000;
/** The largest message a client may send (a subscribe is ~50 bytes); a larger one is closed with 1009. */
export const MAX_MESSAGE_BYTES = 4 * 1024;
/**
 * uWebSockets.js's own limit. A frame beyond it is dropped by the native layer, which closes the TCP
 * connection without a close frame (the client sees 1006) before JavaScript runs. It is set well above
 * MAX_MESSAGE_BYTES so that oversized messages reach `message` and get a proper 1009 close (RFC 6455
 * §7.4.1); only frames past this bound are cut natively. It also bounds what uWS buffers per socket.
 */
export const NATIVE_MAX_PAYLOAD_BYTES = 64 * 1024;
/** RFC 6455 §7.4.1: "a message that is too big for it to process". */
export const CLOSE_MESSAGE_TOO_BIG = 1009;
/** RFC 6455 §7.4.1: a message that violates the endpoint's policy. */
export const CLOSE_POLICY_VIOLATION = 1008;
/**
 * Refused messages a socket may send before it is closed (1008). Each refusal is answered with an
 * error frame ~12 times the size of the smallest message that earns one (`{}`), so a client that sends
 * them without reading its socket turned a trickle into megabytes of kernel send buffer per socket. A
 * working client sends a few at most (a topic it may not read, a subscription past a cap).
 */
export const MAX_REFUSED_MESSAGES = 50;
/** Close codes in the private range (RFC 6455 §7.4.2), mirroring HTTP 401. */
export const CLOSE_TOKEN_EXPIRED = 4401;
export const CLOSE_SESSION_REVOKED = 4403;

export interface LiveUserData {
  readonly token: VerifiedAccessToken;
  readonly topics: Set<string>;
  timer?: NodeJS.Timeout;
  open: boolean;
  /** Messages refused with an error frame so far (MAX_REFUSED_MESSAGES). */
  refused: number;
}
type LiveSocket = WebSocket<LiveUserData>;

/**
 * The uWS topic a subscription to `topic` listens on. In a row-access collection a reader of its own
 * rows listens on "{topic}#{owner}" (never a client's topic: `#` fails TOPIC), so a change is
 * published to its owner's topic alone and costs the same however many other owners subscribe.
 * Readers of every row (a shared collection, the lifting scope) listen on the topic itself.
 */
function internalTopic(topic: string, owner: string | null): string {
  return owner === null ? topic : `${topic}#${owner}`;
}

/** A change frame, built once per change and topic (the client's topic name, not the internal one). */
function changeFrame(topic: string, op: 'upsert' | 'delete', id: number, data: Buffer | string): Buffer {
  return Buffer.concat([
    Buffer.from(`{"type":"change","topic":"${topic}","op":"${op}","id":${id},"data":`),
    Buffer.from(data),
    Buffer.from('}'),
  ]);
}

/** Adds `change` to what `counts` holds for `key`; a count that reaches zero is removed. */
function count(counts: Map<string, number>, key: string, change: number): void {
  const held = (counts.get(key) ?? 0) + change;
  if (held > 0) counts.set(key, held);
  else counts.delete(key);
}

export interface LiveOptions {
  readonly limits: Limits;
  readonly maxBackpressureBytes: number;
  /** Open sockets one subject (a user, a machine client) may hold; one more is refused with 429. */
  readonly maxSocketsPerSubject: number;
  readonly logger: Logger;
}

/**
 * WebSocket live updates on uWebSockets.js pub/sub. A client subscribes to "products" (every change
 * of the collection) or "products/42" (one record); the scope is checked per subscription. A change
 * frame is built once per change and topic, then fanned out by uWS. Sockets close when their token
 * expires or its session is revoked; a subscriber that cannot keep up is disconnected once its
 * buffer exceeds FAST_WS_MAX_BACKPRESSURE_BYTES.
 */
export class LiveHub {
  private readonly sockets = new Set<LiveSocket>();
  private readonly bySession = new Map<string, Set<LiveSocket>>();
  /** Open sockets per token subject: without a bound, one account could hold the server's memory. */
  private readonly perSubject = new Map<string, number>();
  /** Subscriptions per token subject, over all its sockets (MAX_TOPICS_PER_SUBJECT). */
  private readonly topicsPerSubject = new Map<string, number>();

  /** `app` is where changes are published (uWS pub/sub); the route table mounts `behavior` at LIVE_PATH. */
  constructor(
    private readonly app: TemplatedApp,
    private readonly store: HotStore,
    private readonly auth: Authenticator,
    private readonly metrics: FastMetrics,
    private readonly options: LiveOptions,
  ) {}

  /** The WebSocket route's handlers and limits, for `app.ws(LIVE_PATH, ...)`. */
  behavior(): WebSocketBehavior<LiveUserData> {
    return {
      compression: uWS.DISABLED,
      maxPayloadLength: NATIVE_MAX_PAYLOAD_BYTES,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      maxBackpressure: this.options.maxBackpressureBytes,
      closeOnBackpressureLimit: 1,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => this.open(ws),
      message: (ws, message) => this.message(ws, message),
      close: (ws) => this.closed(ws),
    };
  }

  get connections(): number {
    return this.sockets.size;
  }

  private upgrade(res: HttpResponse, req: uWS.HttpRequest, context: uWS.us_socket_context_t): void {
    const refused = refuseOversized(req, this.options.limits);
    if (refused) return send(res, this.metrics, 'live', refused);
    const key = req.getHeader('sec-websocket-key');
    const protocols = offeredProtocols(req.getHeader('sec-websocket-protocol'));
    const extensions = req.getHeader('sec-websocket-extensions');
    // Browsers cannot set headers on a WebSocket: they offer the token as a subprotocol (kept out of
    // request lines and so of proxies' logs: http/live-protocol.ts), or in the access_token query
    // parameter (RFC 6750 §2.3), still accepted for clients written before.
    const token =
      bearerToken(req.getHeader('authorization')) ??
      protocols.token ??
      new URLSearchParams(req.getQuery() ?? '').get('access_token') ??
      undefined;
    const finish = (outcome: AuthOutcome) => {
      if (!outcome.ok) return send(res, this.metrics, 'live', outcome.reply);
      // Refused like every /v1 read until the first snapshot is loaded: a socket open before it would
      // be told `subscribed` to data not served yet, then get every row of the load as a change.
      if (!this.store.ready) return send(res, this.metrics, 'live', notReady());
      // Checked and counted in one turn: res.upgrade runs `open` (which counts) before it returns.
      if ((this.perSubject.get(outcome.token.sub) ?? 0) >= this.options.maxSocketsPerSubject)
        return send(res, this.metrics, 'live', this.tooManySockets());
      this.metrics.request('live', 101);
      res.upgrade<LiveUserData>(
        { token: outcome.token, topics: new Set(), open: false, refused: 0 },
        key,
        protocols.answer,
        extensions,
        context,
      );
    };
    const outcome = this.auth.authenticate(token);
    if (!(outcome instanceof Promise)) return finish(outcome);
    whenVerified(res, this.metrics, 'live', outcome, finish);
  }

  private tooManySockets(): Reply {
    const max = this.options.maxSocketsPerSubject;
    return jsonError(
      429,
      'too_many_connections',
      `This account already has ${max} live connections open (FAST_WS_MAX_SOCKETS_PER_SUBJECT); close one ` +
        'first. One connection carries any number of subscriptions.',
    );
  }

  private open(ws: LiveSocket): void {
    const data = ws.getUserData();
    data.open = true;
    this.sockets.add(ws);
    count(this.perSubject, data.token.sub, 1);
    let peers = this.bySession.get(data.token.sid);
    if (!peers) this.bySession.set(data.token.sid, (peers = new Set()));
    peers.add(ws);
    const left = Math.min(Math.max(0, data.token.expiresAtMs - Date.now()), 2 ** 31 - 1);
    data.timer = setTimeout(() => this.end(ws, CLOSE_TOKEN_EXPIRED, 'token expired'), left);
    const check = this.auth.checkRevoked(data.token);
    if (!check.ok) this.end(ws, CLOSE_SESSION_REVOKED, 'session revoked');
  }

  private closed(ws: LiveSocket): void {
    const data = ws.getUserData();
    data.open = false;
    clearTimeout(data.timer);
    this.sockets.delete(ws);
    count(this.perSubject, data.token.sub, -1);
    count(this.topicsPerSubject, data.token.sub, -data.topics.size);
    const peers = this.bySession.get(data.token.sid);
    peers?.delete(ws);
    if (peers?.size === 0) this.bySession.delete(data.token.sid);
  }

  private end(ws: LiveSocket, code: number, reason: string): void {
    if (ws.getUserData().open) ws.end(code, reason);
  }

  private reply(ws: LiveSocket, frame: Record<string, unknown>): void {
    ws.send(JSON.stringify(frame), false);
  }

  private error(ws: LiveSocket, code: string, message: string, topic?: string): void {
    this.metrics.wsErrors += 1;
    const data = ws.getUserData();
    if (++data.refused > MAX_REFUSED_MESSAGES)
      return this.end(ws, CLOSE_POLICY_VIOLATION, `more than ${MAX_REFUSED_MESSAGES} refused messages`);
    this.reply(
      ws,
      topic === undefined ? { type: 'error', code, message } : { type: 'error', code, message, topic },
    );
  }

  private message(ws: LiveSocket, message: ArrayBuffer): void {
    this.metrics.wsMessages += 1;
    if (message.byteLength > MAX_MESSAGE_BYTES)
      return this.end(ws, CLOSE_MESSAGE_TOO_BIG, `messages are limited to ${MAX_MESSAGE_BYTES} bytes`);
    // Decoding copies the bytes out of uWS's buffer, which is neutered when this handler returns.
    const text = Buffer.from(message).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.error(
        ws,
        'bad_message',
        'Messages must be JSON objects such as {"type":"subscribe","topic":"products"}.',
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return this.error(ws, 'bad_message', 'Messages must be JSON objects.');
    const { type, topic } = parsed as { type?: unknown; topic?: unknown };
    if (type !== 'subscribe' && type !== 'unsubscribe')
      return this.error(ws, 'unknown_type', 'type must be "subscribe" or "unsubscribe".');
    if (typeof topic !== 'string')
      return this.error(ws, 'bad_topic', 'topic must be a string such as "products" or "products/42".');
    const match = TOPIC.exec(topic);
    const collection = match ? this.store.get(match[1]!) : undefined;
    if (!collection) {
      // "products/abc": the collection exists, the id is what is wrong.
      const [name, id] = topic.split('/', 2) as [string, string | undefined];
      const shown = JSON.stringify(topic.slice(0, 100));
      return this.error(
        ws,
        'unknown_topic',
        !match && id !== undefined && this.store.get(name)
          ? `Topic ${shown}: a record's id is a whole number from 1, as in "${name}/42".`
          : `No collection for topic ${shown}.`,
        topic.slice(0, 100),
      );
    }
    const data = ws.getUserData();
    // null: every row; a string: this owner's rows only; undefined: none (refused below).
    const owner = collection.readsAs(data.token);
    if (type === 'unsubscribe') {
      ws.unsubscribe(internalTopic(topic, owner ?? null));
      if (data.topics.delete(topic)) count(this.topicsPerSubject, data.token.sub, -1);
      return this.reply(ws, { type: 'unsubscribed', topic });
    }
    if (!AccessTokenVerifier.grants(data.token, collection.scope, collection.scopeBit))
      return this.error(
        ws,
        'insufficient_scope',
        `Subscribing to ${topic} needs the ${collection.scope} scope.`,
        topic,
      );
    if (owner === undefined)
      return this.error(ws, 'insufficient_scope', ownerClaimMissingMessage(collection), topic);
    if (!data.topics.has(topic)) {
      if (data.topics.size >= MAX_TOPICS_PER_SOCKET)
        return this.error(
          ws,
          'too_many_subscriptions',
          `At most ${MAX_TOPICS_PER_SOCKET} subscriptions per connection.`,
          topic,
        );
      if ((this.topicsPerSubject.get(data.token.sub) ?? 0) >= MAX_TOPICS_PER_SUBJECT)
        return this.error(
          ws,
          'too_many_subscriptions',
          `At most ${MAX_TOPICS_PER_SUBJECT} subscriptions per account over all its connections; unsubscribe from some first.`,
          topic,
        );
      data.topics.add(topic);
      count(this.topicsPerSubject, data.token.sub, 1);
    }
    // Another owner's `orders/{id}` is subscribed to like a missing record's: on this owner's topic,
    // which hears of the row only if it becomes theirs.
    ws.subscribe(internalTopic(topic, owner));
    this.reply(ws, { type: 'subscribed', topic });
  }

  /**
   * Fans one store change out to the record topic and the collection topic: their readers of every
   * row, and in a row-access collection the row owner's readers. The row's previous owner (it changed
   * hands) is told of a delete. A few topics per change, whatever the number of subscribers.
   */
  publish(collection: string, change: StoreChange): void {
    const id = change.op === 'upsert' ? change.record.id : change.id;
    const data = change.op === 'upsert' ? change.record.bytes : 'null';
    this.deliver(collection, id, null, change.op, data);
    if (!this.store.get(collection)?.rowAccess) return;
    const owner = change.op === 'upsert' ? change.record.owner : change.owner;
    if (owner !== undefined) this.deliver(collection, id, owner, change.op, data);
    if (change.op === 'upsert' && change.movedFrom !== undefined)
      this.deliver(collection, id, change.movedFrom, 'delete', 'null');
  }

  private deliver(
    collection: string,
    id: number,
    owner: string | null,
    op: 'upsert' | 'delete',
    data: Buffer | string,
  ): void {
    for (const topic of [`${collection}/${id}`, collection]) {
      const internal = internalTopic(topic, owner);
      if (this.app.numSubscribers(internal) === 0) continue;
      this.app.publish(internal, changeFrame(topic, op, id, data), false);
    }
  }

  /** Closes the sockets of a session that was just revoked. */
  closeSession(sid: string): void {
    for (const ws of [...(this.bySession.get(sid) ?? [])])
      this.end(ws, CLOSE_SESSION_REVOKED, 'session revoked');
  }

  closeAll(): void {
    for (const ws of [...this.sockets]) this.end(ws, 1001, 'server shutting down');
  }
}
