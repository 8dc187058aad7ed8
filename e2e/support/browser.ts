/**
 * Debian's Chromium driven by playwright-core, with the flags this offline machine needs (no background
 * networking: its connections would be refused, many at a time). One place for every browser test.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** False when Chromium is installed, else the message a skipped browser test shows. */
export function browserSkip(what: string): false | string {
  return existsSync(CHROMIUM)
    ? false
    : `Chromium not found at ${CHROMIUM} (apt-get install chromium); ${what} skipped`;
}

/** A headless Chromium with a fresh profile (Playwright refuses --user-data-dir in args). */
export async function launchChromium(): Promise<{ context: BrowserContext; profile: string }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'tandem-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(15_000);
  return { context, profile };
}
