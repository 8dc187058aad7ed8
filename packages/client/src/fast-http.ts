import { boundedText, clipped, MAX_SMALL_BODY_BYTES } from './bounded-body.js';
import { ApiError } from './errors.js';
import type { EtagCache } from './etag-cache.js';
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

async function apiError(response: Response): Promise<ApiError> {
  const text = await boundedText(response, MAX_SMALL_BODY_BYTES, 'fast service');
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string')
      return new ApiError(
        response.status,
        clipped(body.error),
        clipped(typeof body.message === 'string' ? body.message : body.error),
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
 * Authorized GETs against the fast service. Each answer with an ETag is kept; the next GET of that URL
 * sends If-None-Match and a 304 reuses the kept body. A 401 gets one retry with a renewed token (the
 * token may have expired or been rotated meanwhile); a 503 with Retry-After is retried a few times.
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
    const { tokens, cache } = this.options;
    let token = await tokens.accessToken();
    let renewed = false;
    let unavailable = 0;
    for (;;) {
      const cached = cache.get(url);
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
      };
      if (cached) headers['if-none-match'] = cached.etag;
      const response = await this.options.fetch(url, {
        headers,
        ...(options.signal ? { signal: options.signal } : {}),
      });
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
        await sleep(Math.min(retryAfter * 1000, this.maxRetryAfterMs), options.signal);
        continue;
      }
      if (response.status === 404) cache.delete(url);
      throw await apiError(response);
    }
  }
}
