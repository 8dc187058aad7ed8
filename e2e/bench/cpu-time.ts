/**
 * CPU time of a set of processes from /proc: utime + stime of each process (which covers all its
 * threads, the exited ones too) and of every live descendant (nginx workers under their master).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields after `(comm)` of /proc/<pid>/stat: index 0 is field 3 (state) of proc(5). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // exited meanwhile
  }
}

/** proc(5) field k sits at index k - 3 of statFields. */
const field = (fields: string[], k: number) => Number(fields[k - 3]);

/** utime + stime (fields 14 and 15) of one process, in seconds; undefined when it is gone. */
function ownCpuSeconds(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? (field(fields, 14) + field(fields, 15)) / CLOCK_TICKS : undefined;
}

/** Waited-for children's cutime + cstime (fields 16 and 17) of one process, in seconds. */
export function reapedChildrenCpuSeconds(statLine: string): number {
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  return (field(fields, 16) + field(fields, 17)) / CLOCK_TICKS;
}

/** The given processes and their live descendants. */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const parent = field(fields, 4);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const pending = [...roots];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (tree.includes(pid)) continue;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** A reading of the CPU time the process set had used so far; diff two readings for a run. */
export interface CpuReading {
  readonly pids: readonly number[];
  readonly seconds: ReadonlyMap<number, number>;
}

export function readCpu(roots: readonly number[]): CpuReading {
  const seconds = new Map<number, number>();
  for (const pid of processTree(roots)) {
    const used = ownCpuSeconds(pid);
    if (used !== undefined) seconds.set(pid, used);
  }
  return { pids: [...seconds.keys()], seconds };
}

/**
 * CPU seconds used between two readings. A process seen only in the later reading started during
 * the run and counts from 0; one gone by then is left out (servers under test do not exit mid-run).
 */
export function cpuSecondsBetween(start: CpuReading, end: CpuReading): number {
  let total = 0;
  for (const [pid, seconds] of end.seconds) total += seconds - (start.seconds.get(pid) ?? 0);
  return total;
}

/** The machine's CPU time so far, all cores, in clock ticks (the first line of /proc/stat). */
export interface MachineCpuReading {
  readonly total: number;
  /** Neither idle nor waiting for I/O: something ran, or the host took the core (steal). */
  readonly busy: number;
  /** Taken by the hypervisor for other guests while this machine had work. */
  readonly steal: number;
}

export function readMachineCpu(): MachineCpuReading {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { total, busy: total - idle - iowait, steal };
}

/** Shares of the machine's CPU time between two readings: busy (steal included) and steal. */
export function machineSharesBetween(
  start: MachineCpuReading,
  end: MachineCpuReading,
): { readonly busy: number; readonly steal: number } {
  const total = Math.max(1, end.total - start.total);
  return { busy: (end.busy - start.busy) / total, steal: (end.steal - start.steal) / total };
}
