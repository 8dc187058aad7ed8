import { boundedText, clipped, MAX_SMALL_BODY_BYTES } from './bounded-body.js';
import { ApiError } from './errors.js';
import type { CachedBody, EtagCache } from './etag-cache.js';
import type { TokenClient } from './tokens.js';

export interface FastHttpOptions {
  /** The fast service, e.g. http://127.0.0.1:8002. */
  readonly baseUrl: string;
  readonly tokens: TokenClient;
  readonly cache: EtagCache;
  readonly fetch: typeof fetch;
  /** How often a 503 with Retry-After (data loading, keys not loaded yet) is retried before failing (3). */
  readonly maxUnavailableRetries?: number;
  /** Longest wait honoured from a Retry-After header, in ms (5000). */
  readonly maxRetryAfterMs?: number;
}

export interface GetOptions {
  readonly signal?: AbortSignal;
}

/** A write as FastHttp sends it: the method, the path, the JSON body and the write's own headers. */
export interface WriteRequest {
  readonly method: 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** A write's answer (2xx): its status, headers and body text. */
export interface WriteAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Largest write answer read: the record as GET serves it, or the write's outcome. */
const MAX_WRITE_ANSWER_BYTES = 1024 * 1024;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** A refused write's field errors: strings only, each clipped (they end up in logs). */
function fieldErrors(value: unknown): Record<string, string> {
  const errors: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return errors;
  for (const [field, message] of Object.entries(value))
    if (typeof message === 'string') errors[clipped(field)] = clipped(message);
  return errors;
}

async function apiError(response: Response): Promise<ApiError> {
  const text = await boundedText(response, MAX_SMALL_BODY_BYTES, 'fast service');
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; errors?: unknown };
    if (typeof body.error === 'string')
      return new ApiError(
        response.status,
        clipped(body.error),
        clipped(typeof body.message === 'string' ? body.message : body.error),
        fieldErrors(body.errors),
      );
  } catch {
    // Not JSON (a proxy's error page): described by its status below.
  }
  return new ApiError(
    response.status,
    'unexpected_response',
    `The fast service answered ${response.status}.`,
  );
}

/**
 * Authorized requests to the fast service: GETs and writes. Each GET answer with an ETag is kept; the
 * next GET of that URL sends If-None-Match and a 304 reuses the kept body. A 401 gets one retry with a
 * renewed token (the token may have expired or been rotated meanwhile); a 503 with Retry-After is
 * retried a few times.
 */
export class FastHttp {
  private readonly baseUrl: string;
  private readonly maxUnavailableRetries: number;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly options: FastHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.maxUnavailableRetries = options.maxUnavailableRetries ?? 3;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 5_000;
  }

  /** GET `path` (starting with /) and parse its JSON body. */
  async getJson<T>(path: string, options: GetOptions = {}): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const { cache } = this.options;
    let cached: CachedBody | undefined;
    const response = await this.send(
      url,
      (token) => {
        cached = cache.get(url);
        const headers: Record<string, string> = {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
        };
        if (cached) headers['if-none-match'] = cached.etag;
        return { headers };
      },
      options.signal,
    );
    if (response.status === 304 && cached) {
      await response.arrayBuffer();
      return JSON.parse(cached.text) as T;
    }
    if (response.ok) {
      const text = await response.text();
      const etag = response.headers.get('etag');
      if (etag) cache.set(url, { etag, text });
      else cache.delete(url);
      return JSON.parse(text) as T;
    }
    if (response.status === 404) cache.delete(url);
    throw await apiError(response);
  }

  /**
   * Sends a write (its Idempotency-Key among `headers`, so the retries below, and the caller's own,
   * are applied once). Any refusal is an ApiError.
   */
  async write(request: WriteRequest): Promise<WriteAnswer> {
    const url = `${this.baseUrl}${request.path}`;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const response = await this.send(
      url,
      (token) => ({
        method: request.method,
        headers: { ...request.headers, authorization: `Bearer ${token}`, accept: 'application/json' },
        ...(body === undefined ? {} : { body }),
      }),
      request.signal,
    );
    if (response.ok) {
      const text = await boundedText(response, MAX_WRITE_ANSWER_BYTES, 'fast service');
      return { status: response.status, headers: response.headers, text };
    }
    // The record changed or went away: a kept copy of it is stale.
    if (response.status === 404 || response.status === 412) this.options.cache.delete(url);
    throw await apiError(response);
  }

  /**
   * One request, as `init` builds it for the current access token: sent again once with a renewed
   * token after a 401 (it may have expired or been rotated meanwhile; nothing was done with it), and a
   * few times after a 503 with Retry-After (data loading, keys not loaded, a full write queue: nothing
   * was done either). Any other answer is returned as it is.
   */
  private async send(
    url: string,
    init: (token: string) => RequestInit,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const { tokens } = this.options;
    let token = await tokens.accessToken();
    let renewed = false;
    let unavailable = 0;
    for (;;) {
      const response = await this.options.fetch(url, { ...init(token), ...(signal ? { signal } : {}) });
      if (response.status === 401 && !renewed) {
        await response.arrayBuffer();
        renewed = true;
        token = await tokens.accessTokenAfterRejection(token);
        continue;
      }
      const retryAfterHeader = response.headers.get('retry-after');
      const retryAfter = retryAfterHeader === null ? NaN : Number(retryAfterHeader);
      if (response.status === 503 && retryAfter >= 0 && unavailable < this.maxUnavailableRetries) {
        await response.arrayBuffer();
        unavailable += 1;
        await sleep(Math.min(retryAfter * 1000, this.maxRetryAfterMs), signal);
        continue;
      }
      return response;
    }
  }

  /** Keeps a record's bytes as GET would have been served them (a write answered with them). */
  remember(path: string, etag: string, text: string): void {
    this.options.cache.set(`${this.baseUrl}${path}`, { etag, text });
  }

  /** Forgets a record's cached bytes (it was deleted). */
  forget(path: string): void {
    this.options.cache.delete(`${this.baseUrl}${path}`);
  }
}
