/** How the bench's reports write numbers: one spelling for every table and sentence. */
import type { Measurement } from './throughput.js';

/** `value` with exactly `digits` decimals and thousands separators (en-US). */
export const n = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A measurement's CPU time per request. */
export const us = (m: Measurement) => `${n(m.cpuPerRequestUs, 2)} µs`;

/** wrk's busy share of its core, marked when it was the bound. */
export const busy = (m: Measurement) =>
  `${n(m.wrkBusyShare * 100)}%${m.loadGeneratorBound ? ' **wrk-bound**' : ''}`;
