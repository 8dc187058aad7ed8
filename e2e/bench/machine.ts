import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the numbers were measured on: they are only comparable within one run on one machine. */
export function describeMachine(): string {
  const model =
    /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ??
    os.cpus()[0]?.model ??
    'unknown CPU';
  const memory = `${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  return `${os.availableParallelism()} cores (${model}), ${memory}, Node ${process.version}, ${os.type()} ${os.release()}`;
}
