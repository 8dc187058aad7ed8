import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendOnlyEnabled, persistenceWarning } from '../src/index.js';

/** A server as the check sees it: INFO persistence and CONFIG GET appendfsync, each answered or refused. */
function server(aof: '0' | '1' | Error, fsync: string | Error) {
  return {
    info: () =>
      aof instanceof Error
        ? Promise.reject(aof)
        : Promise.resolve(
            `# Persistence\r\nloading:0\r\naof_enabled:${aof}\r\naof_rewrite_in_progress:0\r\n`,
          ),
    config: () => (fsync instanceof Error ? Promise.reject(fsync) : Promise.resolve(['appendfsync', fsync])),
  };
}
const refused = new Error('NOPERM this user has no permissions to run the command');

test('appendOnlyEnabled reads aof_enabled from INFO persistence, and nothing from a reply without it', () => {
  assert.equal(appendOnlyEnabled('# Persistence\r\naof_enabled:1\r\n'), true);
  assert.equal(appendOnlyEnabled('# Persistence\r\naof_enabled:0\r\n'), false);
  assert.equal(appendOnlyEnabled('# Persistence\r\nx_aof_enabled:1\r\n'), undefined);
});

test('a write is only safe with the append-only file synced before every answer', async () => {
  assert.match(
    (await persistenceWarning(server('0', 'always'), 'the queue')) ?? '',
    /no append-only file.*the queue/,
  );
  assert.match((await persistenceWarning(server('1', 'everysec'), 'the queue')) ?? '', /once a second/);
  assert.match((await persistenceWarning(server('1', 'no'), 'the queue')) ?? '', /when the OS decides/);
  assert.equal(await persistenceWarning(server('1', 'always'), 'the queue'), undefined);
  // A managed Redis that refuses CONFIG is judged on the file alone; one that answers nothing is not judged.
  assert.equal(await persistenceWarning(server('1', refused), 'the queue'), undefined);
  assert.match((await persistenceWarning(server('0', refused), 'the queue')) ?? '', /no append-only file/);
  assert.equal(await persistenceWarning(server(refused, refused), 'the queue'), undefined);
});
