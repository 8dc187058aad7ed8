/**
 * What a page load costs on the wire, as Chromium counts it (DevTools Network events): bytes received
 * per request, headers included, 0 for what came from the browser's cache.
 */
import type { Page } from 'playwright-core';

export interface Transfer {
  readonly url: string;
  readonly status: number;
  /** Bytes on the wire (encodedDataLength of loadingFinished). */
  readonly bytes: number;
  readonly fromCache: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

export interface TransferLog {
  readonly total: number;
  readonly requests: readonly Transfer[];
}

/** Runs `load` with the Network domain watched; `cold` empties the browser's cache first. */
export async function measureTransfer(
  page: Page,
  load: () => Promise<void>,
  { cold }: { cold: boolean },
): Promise<TransferLog> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  if (cold) await cdp.send('Network.clearBrowserCache');
  const seen = new Map<
    string,
    { url: string; status: number; headers: Record<string, string>; cache: boolean }
  >();
  const finished: Transfer[] = [];
  cdp.on('Network.responseReceived', (event) => {
    const headers = Object.fromEntries(
      Object.entries(event.response.headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
    );
    seen.set(event.requestId, {
      url: event.response.url,
      status: event.response.status,
      headers,
      cache: Boolean(event.response.fromDiskCache || event.response.fromPrefetchCache),
    });
  });
  cdp.on('Network.requestServedFromCache', (event) => {
    const entry = seen.get(event.requestId);
    if (entry) entry.cache = true;
  });
  cdp.on('Network.loadingFinished', (event) => {
    const entry = seen.get(event.requestId);
    if (!entry) return;
    finished.push({
      url: entry.url,
      status: entry.status,
      bytes: event.encodedDataLength,
      fromCache: entry.cache,
      headers: entry.headers,
    });
  });
  try {
    await load();
  } finally {
    await cdp.detach();
  }
  return { total: finished.reduce((sum, t) => sum + t.bytes, 0), requests: finished };
}

/** One line per request, for a test's output and its failure message. */
export function describeTransfer(log: TransferLog): string {
  return log.requests
    .map((t) => `${t.bytes.toString().padStart(8)} ${t.fromCache ? 'cache' : String(t.status)} ${t.url}`)
    .join('\n');
}
