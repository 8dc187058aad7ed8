/**
 * Entry point of the admin service (compiled to dist/src/main.js, started by `tandem start`).
 * Opens the ORM (no migrating: `tandem migrate`/`tandem start` do that), listens on config.host and
 * ADMIN_PORT; the process life (signals, ready message, exit codes) is @tandem/service's runService.
 */
import { runService } from '@tandem/service';
import { prepareAdminJsEnvironment } from './adminjs-env.js';

await runService({
  name: 'admin',
  // Before the ORM opens: AdminJS's environment must be set before it is imported, and a missing
  // production secret stops start-up before anything is opened.
  async prepare(config, logger) {
    if (!prepareAdminJsEnvironment('serve')) {
      logger.warn(
        'the admin front-end bundle was not prebuilt (run `npm run build`); bundling it now, start-up will be slower',
      );
    }
    const { startAdmin, sessionSecret } = await import('./server.js');
    return { startAdmin, secret: sessionSecret(config, logger) };
  },
  start: (options, { startAdmin, secret }) => startAdmin({ ...options, secret }),
  ready: (server) => ({ adminUrl: server.adminUrl }),
});
