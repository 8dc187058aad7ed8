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
import { refuseOversized, whenVerified, type Limits } from './http/pipeline.js';
import { send } from './http/respond.js';

export const LIVE_PATH = '/v1/live';
const TOPIC = /^([a-z][a-z0-9_-]{0,62})(?:\/([1-9][0-9]{0,14}))?$/;
const MAX_TOPICS_PER_SOCKET = 1000;
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
/** Close codes in the private range (RFC 6455 §7.4.2), mirroring HTTP 401. */
export const CLOSE_TOKEN_EXPIRED = 4401;
export const CLOSE_SESSION_REVOKED = 4403;

export interface LiveUserData {
  readonly token: VerifiedAccessToken;
  readonly topics: Set<string>;
  timer?: NodeJS.Timeout;
  open: boolean;
}
type LiveSocket = WebSocket<LiveUserData>;

export interface LiveOptions {
  readonly limits: Limits;
  readonly maxBackpressureBytes: number;
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
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    // Browsers cannot set headers on a WebSocket, hence the access_token query parameter (RFC 6750 §2.3).
    const token =
      bearerToken(req.getHeader('authorization')) ??
      new URLSearchParams(req.getQuery() ?? '').get('access_token') ??
      undefined;
    const finish = (outcome: AuthOutcome) => {
      if (!outcome.ok) return send(res, this.metrics, 'live', outcome.reply);
      this.metrics.request('live', 101);
      res.upgrade<LiveUserData>(
        { token: outcome.token, topics: new Set(), open: false },
        key,
        protocol,
        extensions,
        context,
      );
    };
    const outcome = this.auth.authenticate(token);
    if (!(outcome instanceof Promise)) return finish(outcome);
    whenVerified(res, this.metrics, 'live', outcome, finish);
  }

  private open(ws: LiveSocket): void {
    const data = ws.getUserData();
    data.open = true;
    this.sockets.add(ws);
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
    if (!collection)
      return this.error(
        ws,
        'unknown_topic',
        `No collection for topic ${JSON.stringify(topic.slice(0, 100))}.`,
        topic.slice(0, 100),
      );
    const data = ws.getUserData();
    if (type === 'unsubscribe') {
      ws.unsubscribe(topic);
      data.topics.delete(topic);
      return this.reply(ws, { type: 'unsubscribed', topic });
    }
    if (!AccessTokenVerifier.grants(data.token, collection.scope, collection.scopeBit))
      return this.error(
        ws,
        'insufficient_scope',
        `Subscribing to ${topic} needs the ${collection.scope} scope.`,
        topic,
      );
    if (!data.topics.has(topic) && data.topics.size >= MAX_TOPICS_PER_SOCKET) {
      return this.error(
        ws,
        'too_many_subscriptions',
        `At most ${MAX_TOPICS_PER_SOCKET} subscriptions per connection.`,
        topic,
      );
    }
    data.topics.add(topic);
    ws.subscribe(topic);
    this.reply(ws, { type: 'subscribed', topic });
  }

  /** Fans one store change out to the record topic and the collection topic. */
  publish(collection: string, change: StoreChange): void {
    const id = change.op === 'upsert' ? change.record.id : change.id;
    const data = change.op === 'upsert' ? change.record.bytes : 'null';
    for (const topic of [`${collection}/${id}`, collection]) {
      if (this.app.numSubscribers(topic) === 0) continue;
      const frame = Buffer.concat([
        Buffer.from(`{"type":"change","topic":"${topic}","op":"${change.op}","id":${id},"data":`),
        Buffer.from(data),
        Buffer.from('}'),
      ]);
      this.app.publish(topic, frame, false);
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
