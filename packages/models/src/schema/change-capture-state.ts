import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CURRENT_CHANGE_CAPTURE_VERSION } from './change-capture.js';

/**
 * Which tables the migrations of one dialect gave change-capture triggers, and with which version of
 * the helper: the trigger half of the migrations' recorded state (MikroORM's snapshot holds the
 * tables and columns, and knows nothing of triggers). Stored beside that snapshot.
 */
export type ChangeCaptureState = Readonly<Record<string, number>>;

export const CHANGE_CAPTURE_STATE_FILE = '.change-capture.json';

/** One hot table's trigger change: drop the old version, install the new one, or both (an upgrade). */
export interface ChangeCaptureStep {
  readonly table: string;
  readonly drop?: number;
  readonly create?: number;
}

export function readChangeCaptureState(dir: string): ChangeCaptureState | undefined {
  const file = path.join(dir, CHANGE_CAPTURE_STATE_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { tables?: Record<string, number> };
  return parsed.tables ?? {};
}

export function changeCaptureStateJson(state: ChangeCaptureState): string {
  const sorted = Object.fromEntries(Object.entries(state).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({ tables: sorted }, null, 2)}\n`;
}

/** The steps that bring the recorded triggers to "every hot table, at the current version". */
export function planChangeCapture(
  recorded: ChangeCaptureState,
  hotTables: readonly string[],
  current: number = CURRENT_CHANGE_CAPTURE_VERSION,
): { readonly steps: ChangeCaptureStep[]; readonly next: ChangeCaptureState } {
  const steps: ChangeCaptureStep[] = [];
  for (const [table, version] of Object.entries(recorded))
    if (!hotTables.includes(table)) steps.push({ table, drop: version });
  for (const table of hotTables) {
    const version = recorded[table];
    if (version === undefined) steps.push({ table, create: current });
    else if (version !== current) steps.push({ table, drop: version, create: current });
  }
  const next = Object.fromEntries(hotTables.map((table) => [table, current]));
  return { steps, next };
}

export function describeChangeCaptureStep(step: ChangeCaptureStep): string {
  if (step.drop !== undefined && step.create !== undefined)
    return `${step.table}: upgrade change-capture triggers v${step.drop} -> v${step.create}`;
  if (step.create !== undefined) return `${step.table}: add change-capture triggers (v${step.create})`;
  return `${step.table}: drop change-capture triggers (v${step.drop})`;
}
