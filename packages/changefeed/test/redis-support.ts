import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { hotProjections } from '@tandem/models';
import { freePort, type MigratedTestDatabase } from '@tandem/models/testing';
import {
  compileProjections,
  openFeedSource,
  RedisStreamSource,
  StreamRelay,
  type CompiledProjection,
} from '../src/index.js';
import { FAST_OPTIONS, eventually } from './helpers.js';

export const REDIS_URL = process.env.REDIS_URL;
export const REDIS_SKIP = REDIS_URL
  ? false
  : 'REDIS_URL is not set: the Redis Stream suite needs a real Redis';

/** A stream key no other test (or run) uses. */
export function uniqueStreamKey(): string {
  return `tandem-test:${randomBytes(6).toString('hex')}:changes`;
}

export function projectionsFor(db: MigratedTestDatabase): CompiledProjection[] {
  return compileProjections(
    hotProjections,
    (name) => db.orm.getMetadata().find(name) ?? undefined,
    db.target.dialect,
  );
}

export function startRelay(db: MigratedTestDatabase, redisUrl: string, streamKey: string, lockTtlMs = 1000) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const projections = projectionsFor(db);
  const relay = new StreamRelay(() => openFeedSource(db.target, projections), redis, {
    ...FAST_OPTIONS,
    streamKey,
    maxLen: 10_000,
    lockTtlMs,
  });
  relay.start();
  return {
    relay,
    /** Resolves once the relay holds the lock and knows where the stream stands. */
    ready: () =>
      eventually('the relay is active', () => relay.status().active && relay.status().written !== undefined),
    async close() {
      await relay.close();
      redis.disconnect();
    },
  };
}

export function redisSource(db: MigratedTestDatabase, redisUrl: string, streamKey: string) {
  return (projections: readonly CompiledProjection[]) =>
    new RedisStreamSource(() => openFeedSource(db.target, projections), redisUrl, streamKey);
}

/** A private redis-server this test can kill and restart (data is not persisted, like the CI one). */
export class PrivateRedis {
  private process: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const instance = new PrivateRedis(await freePort());
    await instance.start();
    return instance;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const probe = new Redis(this.url, {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on('error', () => undefined);
    await eventually('private redis accepts connections', async () => {
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        probe.disconnect();
        return false;
      }
    });
    probe.disconnect();
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
