import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { loadConfig } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { AdminStartupError, sessionSecret } from '../src/server.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('admin-test', 'info', stream), lines };
}

describe('session secret', () => {
  it('uses TANDEM_SECRET_KEY when set, without logging it', () => {
    const { logger, lines } = capture();
    const key = 'a-long-enough-secret-key-for-the-admin-sessions';
    assert.equal(sessionSecret(loadConfig({ TANDEM_SECRET_KEY: key }), logger), key);
    assert.equal(lines.join('').includes(key), false);
  });

  it('refuses to start in production without one, naming the variable', () => {
    const { logger } = capture();
    assert.throws(
      () => sessionSecret(loadConfig({ NODE_ENV: 'production' }), logger),
      (error: unknown) => {
        assert.ok(error instanceof AdminStartupError);
        assert.match(error.message, /TANDEM_SECRET_KEY/);
        return true;
      },
    );
  });

  it('generates an ephemeral key in development and warns', () => {
    const { logger, lines } = capture();
    const first = sessionSecret(loadConfig({}), logger);
    const second = sessionSecret(loadConfig({}), logger);
    assert.ok(first.length >= 32);
    assert.notEqual(first, second);
    assert.match(lines.join(''), /TANDEM_SECRET_KEY is not set/);
  });
});
