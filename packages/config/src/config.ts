import proxyAddr from '@fastify/proxy-addr';
import { z } from 'zod';
import { defaultDatabaseTarget, parseDatabaseUrl, type DatabaseTarget } from './database-url.js';
import { settingProblem } from './setting-problem.js';

/** Raised when an environment variable holds a value Tandem cannot use; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

/**
 * Bounds other packages rely on: no access token outlives its `iat` by more than the TTL plus the
 * verifier's leeway, so a deleted session's tokens matter for at most that long (packages/changefeed).
 */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 900;
export const MAX_TOKEN_LEEWAY_SECONDS = 30;

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));
/** An optional positive integer; unset or empty means "derive it from another setting". */
const optionalPositiveInt = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.coerce.number().int().positive().optional(),
);

/** A comma-separated setting as its non-empty, trimmed entries. */
const commaSeparatedList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  );

/**
 * CORS_ALLOWED_ORIGINS: comma-separated web origins (`https://app.example`, no path) allowed to call
 * the auth and fast services from a browser, beside the origins registered per client. `*` is not
 * accepted: an explicit list is what keeps a token-bearing page of another site out.
 */
const corsOrigins = commaSeparatedList.refine(
  (origins) => origins.every((origin) => URL.canParse(origin) && new URL(origin).origin === origin),
  { message: 'must be comma-separated origins such as https://app.example (scheme and host, no path; no *)' },
);

/**
 * TRUSTED_PROXIES: comma-separated IPs, CIDR ranges, or proxy-addr's names `loopback`, `linklocal`,
 * `uniquelocal`. proxy-addr itself (what clientAddress() compiles them with) judges each entry, so a
 * value that starts up is one the address reader accepts.
 */
const trustedProxies = commaSeparatedList.superRefine((entries, context) => {
  try {
    proxyAddr.compile(entries);
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `must list IP addresses or CIDR ranges separated by commas, e.g. 10.0.0.1,10.1.0.0/16 (${(error as Error).message})`,
    });
  }
});

const NICE_RANGE = 'must be a whole number from -20 (highest priority) to 19 (lowest)';

/** An optional http(s) URL of a service's Prometheus endpoint. */
const metricsUrl = (example: string) =>
  optionalText.refine((v) => v === undefined || isHttpUrl(v), {
    message: `must be an http(s) URL without query or fragment, e.g. ${example}`,
  });

/**
 * Every environment variable Tandem reads, with its default. Nothing else in the repo reads
 * `process.env` for settings: services receive the parsed `Config`.
 */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  // Unset: <TANDEM_DATA_DIR>/tandem.sqlite3.
  DATABASE_URL: z.string().optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  ADMIN_PORT: port(8000),
  AUTH_PORT: port(8001),
  FAST_PORT: port(8002),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TANDEM_SECRET_KEY: optionalText
    .refine((v) => v === undefined || v.length >= 32, { message: 'must be at least 32 characters long' })
    // The example manifests' placeholder is public: a key anyone can read decrypts the signing keys.
    .refine((v) => v === undefined || !/change-?me/i.test(v), {
      message: 'is the example placeholder; generate a key, e.g. `openssl rand -base64 48`',
    }),
  TANDEM_DATA_DIR: z.string().min(1).default('.data'),
  TANDEM_SUPERUSER_EMAIL: optionalText,
  TANDEM_SUPERUSER_PASSWORD: optionalText,
  LOGIN_THROTTLE_ATTEMPTS: positiveInt(5),
  LOGIN_THROTTLE_WINDOW_SECONDS: positiveInt(900),
  // Unset: 4 x LOGIN_THROTTLE_ATTEMPTS (see loginThrottle below).
  LOGIN_THROTTLE_ACCOUNT_ATTEMPTS: optionalPositiveInt,
  LOGIN_THROTTLE_ADDRESS_ATTEMPTS: optionalPositiveInt,
  LOGIN_THROTTLE_ACCOUNT_SIGN_INS: positiveInt(100),
  LOGIN_THROTTLE_REDIS_PREFIX: z.string().trim().min(1).default('tandem:login'),
  TRUSTED_PROXIES: trustedProxies,
  CORS_ALLOWED_ORIGINS: corsOrigins,
  ADMIN_SESSION_MAX_AGE_SECONDS: positiveInt(60 * 60 * 12),
  // Two-factor sign-in (packages/two-factor): required for staff and superusers when true.
  TWO_FACTOR_REQUIRED_FOR_STAFF: z.enum(['true', 'false']).default('false'),
  TWO_FACTOR_ISSUER: z.string().trim().min(1).max(64).default('Tandem'),
  // Auth service (tokens). The issuer defaults to the auth service's own loopback URL.
  TOKEN_ISSUER: optionalText.refine((v) => v === undefined || isHttpUrl(v), {
    message: 'must be an http(s) URL without query or fragment, e.g. https://auth.example.com',
  }),
  TOKEN_AUDIENCE: z.string().trim().min(1).default('tandem'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(MAX_ACCESS_TOKEN_TTL_SECONDS).default(600),
  SESSION_ABSOLUTE_TTL_SECONDS: positiveInt(60 * 60 * 24 * 30),
  SESSION_IDLE_TTL_SECONDS: positiveInt(60 * 60 * 24 * 7),
  SIGNING_KEY_GRACE_SECONDS: z.coerce.number().int().min(0).max(86400).default(300),
  SIGNING_KEY_REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  // Fast service: token verification (JWKS from TOKEN_ISSUER's discovery document unless JWKS_URL is set).
  JWKS_URL: optionalText.refine((v) => v === undefined || isHttpUrl(v), {
    message: 'must be an http(s) URL, e.g. http://127.0.0.1:8001/.well-known/jwks.json',
  }),
  TOKEN_LEEWAY_SECONDS: z.coerce.number().int().min(0).max(MAX_TOKEN_LEEWAY_SECONDS).default(5),
  JWKS_REFETCH_MIN_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  // Keys held are fetched again this often: a key removed from the issuer's JWKS stops verifying.
  JWKS_REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  TOKEN_CACHE_SIZE: positiveInt(10_000),
  FAST_MAX_URL_BYTES: z.coerce.number().int().min(64).max(65_536).default(2048),
  FAST_MAX_HEADER_BYTES: z.coerce.number().int().min(256).max(65_536).default(8192),
  FAST_WS_MAX_BACKPRESSURE_BYTES: positiveInt(1024 * 1024),
  FAST_WS_MAX_SOCKETS_PER_SUBJECT: positiveInt(100),
  // Unset: the priority the fast service was started with. Below 0 needs CAP_SYS_NICE or RLIMIT_NICE.
  FAST_NICE: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce
      .number({ error: NICE_RANGE })
      .int({ error: NICE_RANGE })
      .min(-20, { error: NICE_RANGE })
      .max(19, { error: NICE_RANGE })
      .optional(),
  ),
  // Admin dashboard: where it reads each service's /metrics. Unset: HOST (loopback when HOST is every
  // interface) and the service's port, as `tandem start` runs them on one machine.
  AUTH_METRICS_URL: metricsUrl('http://auth.internal:8001/metrics'),
  FAST_METRICS_URL: metricsUrl('http://fast.internal:8002/metrics'),
  // Unset: /metrics of auth and fast answer anyone who reaches their ports. Set: only `Bearer <token>`.
  METRICS_TOKEN: optionalText
    .refine((v) => v === undefined || v.length >= 32, {
      message: 'must be at least 32 characters long, e.g. `openssl rand -base64 32`',
    })
    .refine((v) => v === undefined || /^[\x21-\x7e]+$/.test(v), {
      message: 'must be printable ASCII without spaces (it is sent in an Authorization header)',
    }),
  // Change feed: SQLite poll / PostgreSQL re-poll while transactions are pending, fallback wake-up,
  // reconnect backoff cap, staleness threshold, outbox retention and pruning cadence.
  FEED_POLL_MS: z.coerce.number().int().min(1).max(60_000).default(10),
  FEED_FALLBACK_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  FEED_RECONNECT_MAX_MS: z.coerce.number().int().min(10).max(600_000).default(5000),
  FEED_STALE_AFTER_MS: positiveInt(5000),
  CHANGE_RETENTION_SECONDS: positiveInt(3600),
  CHANGE_PRUNE_INTERVAL_SECONDS: positiveInt(60),
  FEED: z.enum(['database', 'redis']).default('database'),
  REDIS_URL: optionalText.refine((v) => v === undefined || /^rediss?:\/\/[^\s]+$/.test(v), {
    message: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
  }),
  REDIS_STREAM_KEY: z.string().trim().min(1).default('tandem:changes'),
  REDIS_STREAM_MAXLEN: z.coerce.number().int().min(100).default(100_000),
  // Write path (packages/writes, issue 15): the durable queue between the fast service and the applier.
  WRITE_PARTITIONS: z.coerce.number().int().min(1).max(256).default(4),
  WRITE_QUEUE_MAX_DEPTH: positiveInt(100_000),
  WRITE_MAX_BODY_BYTES: z.coerce.number().int().min(64).max(16_777_216).default(65_536),
  WRITE_RATE_PER_SECOND: positiveInt(50),
  WRITE_RATE_BURST: positiveInt(100),
  WRITE_WAIT_MAX_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  WRITE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(200),
  // Outcome rows answer idempotent retries, so they must outlive the 24-hour idempotency window.
  WRITE_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(86_400, {
      message: 'must be at least 86400 (24 h): an idempotent retry is answered from its outcome row',
    })
    .default(7 * 86_400),
  // A pending order placed through the API holds its stock this long; then the applier cancels it and
  // puts the stock back, so unpaid orders cannot keep products from selling (0: held until cancelled).
  ORDER_HOLD_SECONDS: z.coerce.number().int().min(0).max(31_536_000).default(3_600),
  // The stock units one buyer's unpaid orders may hold at once: without a bound, one account placing
  // orders and never paying keeps a product from selling to anyone (0: no limit).
  ORDER_HOLD_MAX_UNITS: z.coerce.number().int().min(0).max(1_000_000_000).default(100),
  WRITE_PARTITION_LEASE_MS: z.coerce.number().int().min(500).max(600_000).default(10_000),
  WRITE_REDIS_PREFIX: z.string().trim().min(1).default('tandem:writes'),
});

/**
 * The names of every environment variable Tandem reads (the keys of the schema above). Deployment
 * files are checked against it (e2e/test/infra-manifests.test.ts), so they cannot set a misspelt or
 * retired variable that would be silently ignored.
 */
export const SETTING_NAMES: readonly string[] = Object.freeze(Object.keys(schema.shape));

/** `http://HOST:port/metrics`, on the loopback address when HOST means every interface. */
function localMetricsUrl(host: string, port: number): string {
  const reachable = ['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/metrics`;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly database: DatabaseTarget;
  readonly host: string;
  readonly ports: { readonly admin: number; readonly auth: number; readonly fast: number };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Signs admin session cookies; `tandem start` creates one under the data dir when unset. */
  readonly secretKey: string | undefined;
  readonly dataDir: string;
  readonly superuser: { readonly email: string | undefined; readonly password: string | undefined };
  readonly loginThrottle: LoginThrottleConfig;
  /**
   * Peers whose X-Forwarded-For is believed (IPs, CIDR ranges, or `loopback`/`linklocal`/`uniquelocal`);
   * empty: the socket's peer is the client.
   */
  readonly trustedProxies: readonly string[];
  /** Web origins every client's pages may call auth and fast from (CORS), beside each client's own. */
  readonly corsAllowedOrigins: readonly string[];
  readonly adminSessionMaxAgeSeconds: number;
  readonly twoFactor: TwoFactorConfig;
  readonly tokens: TokenConfig;
  readonly fast: FastConfig;
  /** Where the admin's live dashboard scrapes each service's Prometheus text (AUTH_/FAST_METRICS_URL). */
  readonly metricsUrls: { readonly auth: string; readonly fast: string };
  /** METRICS_TOKEN: the bearer token /metrics of auth and fast require; undefined: they are open. */
  readonly metricsToken: string | undefined;
  readonly feed: FeedConfig;
  readonly writes: WritesConfig;
}

/**
 * Failed-login limits, admin and password grant alike, each per LOGIN_THROTTLE_WINDOW_SECONDS. A guess
 * spends one point of each stage before its password is checked; a success gives its points back.
 */
export interface LoginThrottleConfig {
  /** Per (account, client address) pair: a stranger elsewhere cannot lock the account's owner out. */
  readonly attempts: number;
  /** Per account from all addresses together: caps a guessing attack spread over many addresses. */
  readonly accountAttempts: number;
  /** Per client address over all accounts: caps password spraying from one address. */
  readonly addressAttempts: number;
  /** Password checks per account, successes included: caps the hashing one password can buy. */
  readonly accountSignIns: number;
  readonly windowSeconds: number;
  /** Set: counters live in this Redis, shared by every instance; unset: in each process's memory. */
  readonly redisUrl: string | undefined;
  /** Prefix of the Redis keys holding the counters. */
  readonly redisKeyPrefix: string;
}

/** Two-factor sign-in (TOTP and recovery codes) on the admin login and the auth service's login page. */
export interface TwoFactorConfig {
  /**
   * Staff and superusers must pass a second factor: those without an authenticator are sent to enrol
   * one right after the password step, before they get a session.
   */
  readonly requiredForStaff: boolean;
  /** The name authenticator apps show beside the account (`issuer` of the otpauth URI). */
  readonly issuer: string;
}

/** The fast service: local token verification and request limits. */
export interface FastConfig {
  /** Explicit JWKS location; otherwise the `jwks_uri` of `${tokens.issuer}/.well-known/openid-configuration`. */
  readonly jwksUrl: string | undefined;
  readonly tokenLeewaySeconds: number;
  /** An unknown `kid` refetches the JWKS at most once per this many seconds. */
  readonly jwksRefetchMinSeconds: number;
  /**
   * The JWKS is fetched again this many seconds after the last successful fetch, whether or not a
   * token asks: a key the issuer stopped publishing (and the cached tokens it verified) is then refused.
   */
  readonly jwksRefreshSeconds: number;
  readonly tokenCacheSize: number;
  readonly maxUrlBytes: number;
  readonly maxHeaderBytes: number;
  readonly wsMaxBackpressureBytes: number;
  readonly wsMaxSocketsPerSubject: number;
  /**
   * The scheduling priority (nice value) the fast service sets for itself at start, or undefined to
   * keep the inherited one. Where it shares cores with the appliers and the database, a lower value
   * keeps its latency from waiting behind their batches (measured in e2e/bench/notes.md).
   */
  readonly nice: number | undefined;
}

/** The change feed reader (packages/changefeed). */
export interface FeedConfig {
  /** Re-read interval while changes are pending; SQLite's poll where its WAL file cannot be watched. */
  readonly pollMs: number;
  /** Read this often even without a notification (NOTIFY, a WAL write): a lost one costs at most this. */
  readonly fallbackPollMs: number;
  readonly reconnectMaxMs: number;
  readonly staleAfterMs: number;
  readonly retentionSeconds: number;
  readonly pruneIntervalSeconds: number;
  /** Where fast nodes tail changes from: the database outbox, or the Redis Stream the relay fills. */
  readonly source: 'database' | 'redis';
  readonly redis: {
    readonly url: string | undefined;
    readonly streamKey: string;
    readonly streamMaxLen: number;
  };
}

/** The write path (packages/writes): the queue, its bounds and the fast service's write limits. */
export interface WritesConfig {
  /** Queue partitions: writes of one partition are applied in order, each partition by one applier. */
  readonly partitions: number;
  /** Above this many queued writes, new ones are refused (503 with Retry-After). */
  readonly maxQueueDepth: number;
  /** Larger request bodies are refused (413) without being read further. */
  readonly maxBodyBytes: number;
  /** Per subject: writes per second, and the burst a subject may spend at once. */
  readonly ratePerSecond: number;
  readonly rateBurst: number;
  /** Upper bound of `Prefer: wait=N`. */
  readonly waitMaxSeconds: number;
  /** Writes an applier takes per transaction. */
  readonly batchSize: number;
  /** Outcome rows are deleted this long after they were accepted (≥ 24 h, the idempotency window). */
  readonly retentionSeconds: number;
  /**
   * A pending order placed through the API is cancelled this long after it was placed, its stock put
   * back; 0: never (only its owner or staff cancel it).
   */
  readonly orderHoldSeconds: number;
  /**
   * The stock units one buyer's unpaid orders placed through the API may hold at once; an order that
   * would pass it is refused (409). 0: no limit.
   */
  readonly orderHoldMaxUnits: number;
  /** Redis: an applier holds a partition this long without renewing; then another takes it over. */
  readonly partitionLeaseMs: number;
  /** Set: the queue is Redis Streams; unset: the `writes` table. */
  readonly redisUrl: string | undefined;
  /** Prefix of the queue's Redis keys (streams, sequence, idempotency keys, leases). */
  readonly redisKeyPrefix: string;
}

/** Access tokens, sessions and signing keys (auth service signs, fast service verifies). */
export interface TokenConfig {
  /** `iss` of every access token and base of the discovery document; no trailing slash. */
  readonly issuer: string;
  /** `aud` of every access token. */
  readonly audience: string;
  /** Access token lifetime, 300-900 s. */
  readonly accessTokenTtlSeconds: number;
  /** A login session (refresh-token family) ends this long after it began, whatever its activity. */
  readonly sessionAbsoluteTtlSeconds: number;
  /** ...or this long after its last refresh. */
  readonly sessionIdleTtlSeconds: number;
  /** Extra time a previous signing key stays in the JWKS after its last token expired (clock skew). */
  readonly signingKeyGraceSeconds: number;
  /** How often a running auth service re-reads signing keys (picks up `tandem keys rotate`). */
  readonly signingKeyRefreshSeconds: number;
}

/** Settings whose value is, or may hold, a secret. */
const SECRET_VARIABLE = /SECRET|PASSWORD|^DATABASE_URL$|^REDIS_URL$/;

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const value = env[variable];
    // The message reaches logs and terminals: a secret's value (a key too short, a URL holding a
    // password) is described, never repeated.
    const got = SECRET_VARIABLE.test(variable)
      ? `a value of ${value?.length ?? 0} characters`
      : JSON.stringify(value);
    throw new ConfigError(variable, `${settingProblem(issue)} (got ${got})`);
  }
  const v = result.data;
  if (v.FEED === 'redis' && v.REDIS_URL === undefined) {
    throw new ConfigError('REDIS_URL', 'must be set when FEED=redis (e.g. redis://127.0.0.1:6379)');
  }
  if (v.SESSION_IDLE_TTL_SECONDS > v.SESSION_ABSOLUTE_TTL_SECONDS) {
    throw new ConfigError(
      'SESSION_IDLE_TTL_SECONDS',
      `must not exceed SESSION_ABSOLUTE_TTL_SECONDS (${v.SESSION_ABSOLUTE_TTL_SECONDS}) (got ${v.SESSION_IDLE_TTL_SECONDS})`,
    );
  }
  // A deleted session has no row left to say so: a (re)loaded snapshot learns of it only from the
  // outbox's delete event, which must therefore outlive every access token issued in that session.
  const tokenLifetime = v.ACCESS_TOKEN_TTL_SECONDS + v.TOKEN_LEEWAY_SECONDS;
  if (v.CHANGE_RETENTION_SECONDS < tokenLifetime) {
    throw new ConfigError(
      'CHANGE_RETENTION_SECONDS',
      `must be at least ACCESS_TOKEN_TTL_SECONDS + TOKEN_LEEWAY_SECONDS (${v.ACCESS_TOKEN_TTL_SECONDS} + ${v.TOKEN_LEEWAY_SECONDS} = ${tokenLifetime}): a deleted session's access tokens are refused after a restart only while its deletion is still in the outbox (got ${JSON.stringify(env.CHANGE_RETENTION_SECONDS)})`,
    );
  }
  let database: DatabaseTarget;
  try {
    database =
      v.DATABASE_URL === undefined
        ? defaultDatabaseTarget(v.TANDEM_DATA_DIR, cwd)
        : parseDatabaseUrl(v.DATABASE_URL, cwd);
  } catch (error) {
    throw new ConfigError('DATABASE_URL', (error as Error).message);
  }
  return {
    env: v.NODE_ENV,
    database,
    host: v.HOST,
    ports: { admin: v.ADMIN_PORT, auth: v.AUTH_PORT, fast: v.FAST_PORT },
    metricsUrls: {
      auth: v.AUTH_METRICS_URL ?? localMetricsUrl(v.HOST, v.AUTH_PORT),
      fast: v.FAST_METRICS_URL ?? localMetricsUrl(v.HOST, v.FAST_PORT),
    },
    metricsToken: v.METRICS_TOKEN,
    logLevel: v.LOG_LEVEL,
    secretKey: v.TANDEM_SECRET_KEY,
    dataDir: v.TANDEM_DATA_DIR,
    superuser: { email: v.TANDEM_SUPERUSER_EMAIL, password: v.TANDEM_SUPERUSER_PASSWORD },
    loginThrottle: {
      attempts: v.LOGIN_THROTTLE_ATTEMPTS,
      accountAttempts: v.LOGIN_THROTTLE_ACCOUNT_ATTEMPTS ?? v.LOGIN_THROTTLE_ATTEMPTS * 4,
      addressAttempts: v.LOGIN_THROTTLE_ADDRESS_ATTEMPTS ?? v.LOGIN_THROTTLE_ATTEMPTS * 4,
      accountSignIns: v.LOGIN_THROTTLE_ACCOUNT_SIGN_INS,
      windowSeconds: v.LOGIN_THROTTLE_WINDOW_SECONDS,
      redisUrl: v.REDIS_URL,
      redisKeyPrefix: v.LOGIN_THROTTLE_REDIS_PREFIX,
    },
    trustedProxies: v.TRUSTED_PROXIES,
    corsAllowedOrigins: v.CORS_ALLOWED_ORIGINS,
    adminSessionMaxAgeSeconds: v.ADMIN_SESSION_MAX_AGE_SECONDS,
    twoFactor: { requiredForStaff: v.TWO_FACTOR_REQUIRED_FOR_STAFF === 'true', issuer: v.TWO_FACTOR_ISSUER },
    tokens: {
      issuer: (v.TOKEN_ISSUER ?? `http://127.0.0.1:${v.AUTH_PORT}`).replace(/\/+$/, ''),
      audience: v.TOKEN_AUDIENCE,
      accessTokenTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS,
      sessionAbsoluteTtlSeconds: v.SESSION_ABSOLUTE_TTL_SECONDS,
      sessionIdleTtlSeconds: v.SESSION_IDLE_TTL_SECONDS,
      signingKeyGraceSeconds: v.SIGNING_KEY_GRACE_SECONDS,
      signingKeyRefreshSeconds: v.SIGNING_KEY_REFRESH_SECONDS,
    },
    fast: {
      jwksUrl: v.JWKS_URL,
      tokenLeewaySeconds: v.TOKEN_LEEWAY_SECONDS,
      jwksRefetchMinSeconds: v.JWKS_REFETCH_MIN_SECONDS,
      jwksRefreshSeconds: v.JWKS_REFRESH_SECONDS,
      tokenCacheSize: v.TOKEN_CACHE_SIZE,
      maxUrlBytes: v.FAST_MAX_URL_BYTES,
      maxHeaderBytes: v.FAST_MAX_HEADER_BYTES,
      wsMaxBackpressureBytes: v.FAST_WS_MAX_BACKPRESSURE_BYTES,
      wsMaxSocketsPerSubject: v.FAST_WS_MAX_SOCKETS_PER_SUBJECT,
      nice: v.FAST_NICE,
    },
    feed: {
      pollMs: v.FEED_POLL_MS,
      fallbackPollMs: v.FEED_FALLBACK_POLL_MS,
      reconnectMaxMs: v.FEED_RECONNECT_MAX_MS,
      staleAfterMs: v.FEED_STALE_AFTER_MS,
      retentionSeconds: v.CHANGE_RETENTION_SECONDS,
      pruneIntervalSeconds: v.CHANGE_PRUNE_INTERVAL_SECONDS,
      source: v.FEED,
      redis: { url: v.REDIS_URL, streamKey: v.REDIS_STREAM_KEY, streamMaxLen: v.REDIS_STREAM_MAXLEN },
    },
    writes: {
      partitions: v.WRITE_PARTITIONS,
      maxQueueDepth: v.WRITE_QUEUE_MAX_DEPTH,
      maxBodyBytes: v.WRITE_MAX_BODY_BYTES,
      ratePerSecond: v.WRITE_RATE_PER_SECOND,
      rateBurst: v.WRITE_RATE_BURST,
      waitMaxSeconds: v.WRITE_WAIT_MAX_SECONDS,
      batchSize: v.WRITE_BATCH_SIZE,
      retentionSeconds: v.WRITE_RETENTION_SECONDS,
      orderHoldSeconds: v.ORDER_HOLD_SECONDS,
      orderHoldMaxUnits: v.ORDER_HOLD_MAX_UNITS,
      partitionLeaseMs: v.WRITE_PARTITION_LEASE_MS,
      redisUrl: v.REDIS_URL,
      redisKeyPrefix: v.WRITE_REDIS_PREFIX,
    },
  };
}
