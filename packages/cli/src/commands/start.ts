import { existsSync, mkdirSync } from 'node:fs';
import type { Writable } from 'node:stream';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { redactDatabaseUrl, type Config } from '@tandem/config';
import { migrate } from '@tandem/models';
import type { Command } from '../command.js';
import { withOrm } from '../database.js';
import { oneTimePasswordBox, runningBanner } from '../start/banner.js';
import { ensureSecretKey, keyFileIsExposed } from '../start/secret-key.js';
import { APPLIER, RELAY, SERVICES, partitionBuilt, repoRoot, type ServiceSpec } from '../start/services.js';
import { ensureSuperuser, type SuperuserOutcome } from '../start/superuser.js';
import { superviseServices, type SupervisedService } from '../start/supervisor.js';

/** Generous: three services start at once on two cores, and the admin loads its front-end bundle. */
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * What `npm start` runs: data directory, secret key, migrations, a first superuser (on a new database),
 * then every built service as a child process until Ctrl-C. One command from a fresh clone to a working
 * admin.
 */
export const startCommand: Command = {
  name: 'start',
  summary: 'Migrate, create a superuser on a new database, then run every built service until Ctrl-C.',
  usage: 'start',
  async run(argv, { config, env, stdout, stderr }) {
    parseArgs({ args: argv, options: {}, strict: true });
    const database = redactDatabaseUrl(config.database);

    const dataDir = path.resolve(config.dataDir);
    // Owner only: it holds the secret key and, by default, the database (password hashes, sessions).
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secretKey = ensureSecretKey(config.secretKey, dataDir);
    if (secretKey.source === 'new file')
      stdout.write(`Created a secret key in ${secretKey.file} (keep it private).\n`);
    if (secretKey.file) warnIfExposed(secretKey.file, stderr);
    // openOrm creates a new SQLite file (and SQLite its -wal and -shm) for the owner only; one made
    // by an older version, copied or restored may be readable by everyone.
    if (config.database.dialect === 'sqlite')
      for (const suffix of ['', '-wal', '-shm']) warnIfExposed(`${config.database.path}${suffix}`, stderr);

    const superuser = await withOrm(
      config,
      async (orm) => {
        const applied = await migrate(orm);
        stdout.write(
          applied.length === 0
            ? `Database ${database} is up to date.\n`
            : `Applied ${applied.length} migration(s) to ${database}:\n${applied.map((name) => `  ${name}\n`).join('')}`,
        );
        return ensureSuperuser(orm, config);
      },
      { create: true },
    );
    stdout.write(describeSuperuser(superuser));

    // The applier always runs beside the services (it applies their queued writes), the relay with FEED=redis.
    const { built, missing } = partitionBuilt([
      ...SERVICES,
      ...(config.feed.source === 'redis' ? [RELAY] : []),
      APPLIER,
    ]);
    if (!built.some((service) => SERVICES.includes(service))) {
      stdout.write(
        `No service is built yet (looked for ${SERVICES.map((service) => path.relative(repoRoot, service.entry)).join(', ')}).\n` +
          'Run `npm run build` (or `npm start`, which builds first); nothing to start.\n',
      );
      return 0;
    }
    stdout.write(`Starting ${built.map((service) => service.name).join(', ')}...\n`);
    return superviseServices(supervised(built, config), {
      env: {
        ...env,
        // Children get the already-resolved values, so they agree with this process whatever their cwd.
        DATABASE_URL: config.database.url,
        TANDEM_SECRET_KEY: secretKey.value,
        TANDEM_DATA_DIR: dataDir,
      },
      stdout,
      stderr,
      readyTimeoutMs: READY_TIMEOUT_MS,
      stopTimeoutMs: STOP_TIMEOUT_MS,
      onReady(running) {
        const homes = running.map((service) => {
          const homePath = built.find((spec) => spec.name === service.name)?.homePath ?? '';
          return {
            name: service.name,
            url: service.url.endsWith(homePath) ? service.url : `${service.url}${homePath}`,
          };
        });
        stdout.write(
          runningBanner(
            database,
            homes,
            missing.map((service) => service.name),
          ),
        );
      },
    });
  },
};

/**
 * Auth starts first and the others once it is ready: the fast service fetches the JWKS at start, and a
 * failed first fetch would refuse tokens until its rate-bounded refetch may try again. With AUTH_PORT=0
 * and no TOKEN_ISSUER, the issuer is only known once auth listens, so its URL is handed to the others.
 * A restarted service gets back the port it had (which matters with port 0), so the URLs printed at
 * start, and the issuer the others were given, stay true.
 */
function supervised(services: ServiceSpec[], config: Config): SupervisedService[] {
  const withAuth = services.some((service) => service.name === 'auth');
  const issuerKnownLate = withAuth && new URL(config.tokens.issuer).port === '0';
  return services.map((service) => ({
    ...service,
    ...(withAuth && service.name !== 'auth' ? { startAfter: ['auth'] } : {}),
    env: (ready: ReadonlyMap<string, string>) => ({
      // Auth itself too when restarted: it keeps the issuer its tokens and the others already use.
      ...(issuerKnownLate && ready.has('auth') ? { TOKEN_ISSUER: ready.get('auth') } : {}),
      ...portItHad(service, ready.get(service.name)),
    }),
  }));
}

/** The same rule and words for every file that must stay private, when it exists. */
function warnIfExposed(file: string, stderr: Writable): void {
  if (existsSync(file) && keyFileIsExposed(file))
    stderr.write(`tandem start: warning: ${file} is readable by other users; run chmod 600 on it.\n`);
}

function portItHad(service: ServiceSpec, previousUrl: string | undefined): NodeJS.ProcessEnv {
  const port = previousUrl === undefined ? '' : new URL(previousUrl).port;
  return service.portVariable && port !== '' ? { [service.portVariable]: port } : {};
}

/** What start prints about the superuser step (nothing when one exists). */
export function describeSuperuser(outcome: SuperuserOutcome): string {
  switch (outcome.kind) {
    case 'created with one-time password':
      return oneTimePasswordBox(outcome.email, outcome.password);
    case 'created from environment':
      return `Created superuser ${outcome.email} (from TANDEM_SUPERUSER_EMAIL).\n`;
    case 'exists':
      return outcome.superuser
        ? ''
        : `Note: ${outcome.email} (TANDEM_SUPERUSER_EMAIL) exists but is not a superuser; left unchanged.\n`;
    case 'a superuser exists':
      return '';
    case 'no superuser':
      return 'Note: no user is a superuser; none was created (only a new database gets one). Create one with `npx tandem createsuperuser`.\n';
  }
}
