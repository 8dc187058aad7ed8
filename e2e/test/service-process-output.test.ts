/**
 * A bench run that fails against a server shows why: the end of each started process's output, and
 * whether it is still running or exited (and how), added to the error that stopped the run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { withOutputOf, type ServiceProcess } from '../support/service-process.js';

function processOf(name: string, script: string): { service: ServiceProcess; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const service: ServiceProcess = {
    name,
    url: 'http://127.0.0.1:1',
    child,
    logs: () => output,
    stop: async () => {
      child.kill();
      return null;
    },
  };
  return { service, exited: once(child, 'close') };
}

test("a failed run's error carries each process's state and the end of its output", async () => {
  const crashed = processOf(
    'tandem',
    `console.log('x'.repeat(5000)); throw new RangeError('Invalid typed array length: -535515')`,
  );
  const alive = processOf('ceiling', `console.log('listening'); setInterval(() => {}, 1000)`);
  await crashed.exited;
  while (!alive.service.logs().includes('listening')) await new Promise((resolve) => setTimeout(resolve, 20));
  try {
    const error = withOutputOf(new Error('unable to connect to 127.0.0.1:33225 Connection refused'), [
      crashed.service,
      alive.service,
    ]);
    assert.match(error.message, /^unable to connect to 127\.0\.0\.1:33225 Connection refused\n/);
    assert.match(
      error.message,
      /--- tandem \(exited: 1\), its output:\n…x*[\s\S]*RangeError: Invalid typed array length: -535515/,
    );
    assert.match(error.message, /--- ceiling \(still running\), its output:\nlistening\n$/);
    // Only the end of a long output: the crash's stack trace, not the whole log.
    assert.ok(error.message.length < 2 * 3_000 + 500, `${error.message.length} characters`);
  } finally {
    await alive.service.stop();
  }
});
