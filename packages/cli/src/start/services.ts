import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '@tandem/config';

/** The repository root, found from this file (dist/src/start/services.js), never from the cwd. */
export const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));

export interface ServiceSpec {
  readonly name: string;
  /** Absolute path of the compiled entry point (forked as a child process). */
  readonly entry: string;
  /** Path under the service's base URL that a person opens (the admin lives under /admin). */
  readonly homePath: string;
  readonly args?: readonly string[];
  /** Node.js flags it is started with (@tandem/config NODE_FLAGS says why). */
  readonly nodeFlags?: readonly string[];
  /** The setting that picks its port: a restarted service is given the port it had, so its URL holds. */
  readonly portVariable?: 'ADMIN_PORT' | 'AUTH_PORT' | 'FAST_PORT';
}

/** Every service `tandem start` knows, in start order; each may not be built yet. */
export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'admin',
    entry: path.join(repoRoot, 'services/admin/dist/src/main.js'),
    nodeFlags: NODE_FLAGS.admin,
    homePath: '/admin',
    portVariable: 'ADMIN_PORT',
  },
  {
    name: 'auth',
    entry: path.join(repoRoot, 'services/auth/dist/src/main.js'),
    nodeFlags: NODE_FLAGS.auth,
    homePath: '',
    portVariable: 'AUTH_PORT',
  },
  {
    name: 'fast',
    entry: path.join(repoRoot, 'services/fast/dist/src/main.js'),
    nodeFlags: NODE_FLAGS.fast,
    homePath: '',
    portVariable: 'FAST_PORT',
  },
];

/** With FEED=redis the fast service reads the relay's stream, so `tandem start` runs the relay too. */
export const RELAY: ServiceSpec = {
  name: 'relay',
  entry: path.join(repoRoot, 'packages/cli/bin/tandem.js'),
  args: ['relay'],
  homePath: '',
};

/**
 * The write path's applier (issue 15): always started, since any collection may take writes; it
 * applies what the fast service queued. Several may run (each holds its own queue partitions).
 */
export const APPLIER: ServiceSpec = {
  name: 'applier',
  entry: path.join(repoRoot, 'packages/cli/bin/tandem.js'),
  args: ['applier'],
  homePath: '',
};

export function partitionBuilt(services: readonly ServiceSpec[]): {
  built: ServiceSpec[];
  missing: ServiceSpec[];
} {
  return {
    built: services.filter((service) => existsSync(service.entry)),
    missing: services.filter((service) => !existsSync(service.entry)),
  };
}
