/**
 * How an efficiency target (ceiling CPU/request ÷ Tandem's) is judged. The table's runs drive each
 * server as hard as wrk can, and on these VMs wrk is often the bound against both: then each server's
 * CPU per request is taken at a rate it did not set, and a faster server is left idle (and pays for
 * its wake-ups) more often. So where a run also measured the pair at an equal pace (every connection
 * pausing after each answer, wrk far from its bound), the target must be met there too: the table
 * alone read 0.88 where the paced control read 0.81 (e2e/bench/notes.md, 2026-12-06).
 */
import { n, us } from './figures.js';
import type { Measurement } from './throughput.js';

/** Each connection's pause after an answer in the paced runs (the catalog's and the orders'). */
export const PACED_PAUSE_MS = 1;

/** A ceiling / Tandem pair measured interleaved. */
export interface CeilingPair {
  readonly ceiling: Measurement;
  readonly tandem: Measurement;
}

/** The same pair again at a pace set by the load generator: each connection waits `pauseMs` after each answer. */
export interface PacedControl extends CeilingPair {
  readonly pauseMs: number;
}

export interface EfficiencyCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export const pairEfficiency = (pair: CeilingPair) =>
  pair.ceiling.cpuPerRequestUs / pair.tandem.cpuPerRequestUs;

/** `target` is met when the table's pair and, where measured, the paced pair both reach `minimum`. */
export function efficiencyCheck(
  target: string,
  table: CeilingPair,
  minimum: number,
  paced: PacedControl | undefined,
): EfficiencyCheck {
  const atTable = pairEfficiency(table);
  let measured = `${n(atTable, 2)} (${us(table.ceiling)} vs ${us(table.tandem)})`;
  if (!paced) return { target, measured, met: atTable >= minimum };
  const atPace = pairEfficiency(paced);
  measured += `; at an equal pace ${n(atPace, 2)} (${us(paced.ceiling)} vs ${us(paced.tandem)})`;
  return { target, measured, met: atTable >= minimum && atPace >= minimum };
}
