/**
 * The platform's fetch, with a log of every exchange: what the typed client sent and what the real
 * services answered. Nothing is faked; the tests read the log to count requests (one refresh for many
 * concurrent callers) and to see the status the server gave (a 304 served from the client's cache).
 */
export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly requestHeaders: Headers;
  readonly requestBody: string;
  readonly status: number;
}

export interface RecordingFetch {
  readonly fetch: typeof fetch;
  readonly exchanges: Exchange[];
  /** The exchanges whose form body has this grant_type. */
  grants(grantType: string): Exchange[];
}

export function recordingFetch(): RecordingFetch {
  const exchanges: Exchange[] = [];
  const recorded: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const requestBody = typeof init?.body === 'string' ? init.body : '';
    const response = await fetch(request);
    exchanges.push({
      method: request.method,
      url: request.url,
      requestHeaders: request.headers,
      requestBody,
      status: response.status,
    });
    return response;
  };
  return {
    fetch: recorded,
    exchanges,
    grants: (grantType) =>
      exchanges.filter(
        (exchange) => new URLSearchParams(exchange.requestBody).get('grant_type') === grantType,
      ),
  };
}
