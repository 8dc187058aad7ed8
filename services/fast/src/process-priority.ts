import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The threads of this process: on Linux a nice value is per thread, so each one is set. */
function ownThreads(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    // Not Linux: the process as a whole.
    return [0];
  }
}

/** The errno name: os.setPriority throws a SystemError, which keeps it in `info`. */
const codeOf = (error: unknown) =>
  (error as { info?: { code?: string } }).info?.code ?? (error as NodeJS.ErrnoException).code;

/**
 * Sets the scheduling priority (nice value) of every thread of this process; threads started later
 * (the thread pool) inherit it from the one that starts them. `FAST_NICE` below 0 asks for more CPU
 * than the processes beside fast get, which Linux allows only with CAP_SYS_NICE or a nice rlimit of at
 * least `20 - nice`: without either this throws, naming both, rather than running at a priority the
 * operator did not choose.
 */
export function setProcessPriority(nice: number): void {
  for (const thread of ownThreads()) {
    try {
      setPriority(thread, nice);
    } catch (error) {
      // A thread that ended since the directory was read has nothing left to set.
      if (codeOf(error) === 'ESRCH') continue;
      if (codeOf(error) === 'EACCES' || codeOf(error) === 'EPERM')
        throw new Error(
          `FAST_NICE=${nice}: not permitted to raise the priority (${codeOf(error)}); grant CAP_SYS_NICE ` +
            `or a nice rlimit of at least ${20 - nice} (compose: ulimits: { nice: ${20 - nice} }), or unset FAST_NICE`,
          { cause: error },
        );
      throw error;
    }
  }
}
