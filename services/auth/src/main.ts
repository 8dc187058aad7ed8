import { openMetricsWarning, runService } from '@tandem/service';
import { startAuth } from './server.js';

/** Entry point of the auth service (`node dist/src/main.js`, started by `tandem start`). */
await runService({
  name: 'auth',
  prepare(config, logger) {
    const open = openMetricsWarning(config);
    if (open) logger.warn(open);
  },
  start: startAuth,
  ready: (server) => ({ issuer: server.issuer }),
});
