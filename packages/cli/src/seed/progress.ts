import type { Writable } from 'node:stream';

export function format(count: number): string {
  return count.toLocaleString('en-US');
}

/** One line per committed transaction (overwritten in place on a terminal): "Seeding orders: 10,000/1,000,000 (1%, 52,000/s)". */
export function progressPrinter(stream: Writable & { isTTY?: boolean }, noun: string, total: number) {
  const started = performance.now();
  return (inserted: number) => {
    const percent = total === 0 ? 100 : Math.floor((inserted / total) * 100);
    const rate = inserted / Math.max(0.001, (performance.now() - started) / 1000);
    const line = `Seeding ${noun}: ${format(inserted)}/${format(total)} (${percent}%, ${format(Math.round(rate))}/s)`;
    stream.write(stream.isTTY ? `\r${line}${inserted === total ? '\n' : ''}` : `${line}\n`);
  };
}

/** Seconds since `started` (a performance.now() value), one decimal. */
export function secondsSince(started: number): string {
  return ((performance.now() - started) / 1000).toFixed(1);
}
