/**
 * Drives the real infra/compose.yaml with docker-compose (1.29, what Debian 12 ships) and the docker
 * CLI, for the container round trip (e2e/test/containers.test.ts). Every command's output is kept, so a
 * failing test can show it; nothing here talks to a container other than through the engine or a port
 * the compose file publishes on this machine.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const COMPOSE_FILE = fileURLToPath(new URL('../../../infra/compose.yaml', import.meta.url));
/** Builds on the host's network: a build then adds no network interface for Chromium to notice. */
export const HOST_NETWORK_BUILD = fileURLToPath(
  new URL('../../../infra/test/compose.host-network-build.yaml', import.meta.url),
);
export const DOCKERFILE = fileURLToPath(new URL('../../../infra/docker/Dockerfile', import.meta.url));
/** Starts dockerd when it is installed but not running; exit 3 means no engine can be had here. */
export const START_ENGINE = fileURLToPath(new URL('../../../infra/test/start-engine.sh', import.meta.url));
/** Makes the base images the Dockerfile and compose file name exist (stand-ins without a registry). */
export const BASE_IMAGES = fileURLToPath(new URL('../../../infra/test/base-images.sh', import.meta.url));
/** start-engine.sh's exit code when there is no engine to start (not installed, not root). */
export const NO_ENGINE = 3;

/** A script's output as TAP comment lines (`# ...`), so the test runner shows it as is. */
export function asComments(output: string): string {
  const text = output.trimEnd();
  return text === '' ? '' : `${text.replace(/^/gm, '# ')}\n`;
}

/** The env variable that asks for the container round trip (slow: it builds images). */
export const CONTAINER_TEST_SWITCH = 'TANDEM_CONTAINER_TEST';

/**
 * Why the container round trip does not run here, or false when it does. Asked for with
 * TANDEM_CONTAINER_TEST=1 (infra/test.sh sets it; CI runs that once, in its own step); then a container
 * engine must be running or startable (start-engine.sh starts dockerd as root).
 */
export function containerTestSkip(): string | false {
  if (process.env[CONTAINER_TEST_SWITCH] !== '1')
    return `${CONTAINER_TEST_SWITCH}=1 was not set: the container round trip builds images and runs only when asked (bash infra/test.sh; CI runs it once, in its own step)`;
  const engine = spawnSync('bash', [START_ENGINE], { encoding: 'utf8' });
  process.stdout.write(asComments(`${engine.stdout}${engine.stderr}`));
  if (engine.status === NO_ENGINE) {
    // CI installs the engine (.ci/run), so there a missing one is a broken set-up, not a reason to skip.
    if (process.env.CI === 'true') throw new Error('CI asked for the container round trip but has no engine');
    return 'no container engine can be started on this machine';
  }
  if (engine.status !== 0) throw new Error(`${START_ENGINE} failed (exit ${engine.status})`);
  return false;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** One CLI run; a non-zero exit throws with the command and its output. */
async function command(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(file, args, {
      env: env ?? process.env,
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr };
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string; code?: number };
    throw new Error(
      `${file} ${args.join(' ')} failed (exit ${failed.code}):\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  }
}

export const docker = (...args: string[]) => command('docker', args);

/**
 * Drops the images earlier runs left behind (each changed build leaves its predecessors untagged, over
 * a gigabyte each) and keeps this run's: the build stage is tagged first, so its layers, the next
 * run's cache, are not dangling. Only images the Dockerfile labels are touched.
 */
export async function pruneOldTandemImages(): Promise<void> {
  await docker(
    'build',
    '--quiet',
    '--network',
    'host',
    '--file',
    DOCKERFILE,
    '--target',
    'build',
    '--tag',
    'tandem-build',
    REPO_ROOT,
  );
  await docker('image', 'prune', '--force', '--filter', 'label=dev.tandem.image');
}

/** The parts of `docker inspect` the round trip reads. */
export interface ContainerState {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  readonly exitCode: number;
  /** 'healthy', 'starting', 'unhealthy', or undefined for an image without a health check. */
  readonly health: string | undefined;
  /** The user the image runs its process as (Config.User), '' for root by default. */
  readonly user: string;
}

export async function inspect(id: string): Promise<ContainerState> {
  const { stdout } = await docker('inspect', id);
  const [raw] = JSON.parse(stdout) as Array<{
    Id: string;
    Name: string;
    State: { Running: boolean; ExitCode: number; Health?: { Status: string } };
    Config: { User: string };
  }>;
  if (!raw) throw new Error(`docker inspect ${id}: no such container`);
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    running: raw.State.Running,
    exitCode: raw.State.ExitCode,
    health: raw.State.Health?.Status,
    user: raw.Config.User,
  };
}

/** The user id the container's main process (PID 1 in its namespace) runs as, from /proc. */
export async function mainProcessUid(id: string): Promise<number> {
  const { stdout } = await docker('exec', id, 'cat', '/proc/1/status');
  const uid = /^Uid:\s+(\d+)/m.exec(stdout)?.[1];
  if (uid === undefined) throw new Error(`no Uid line in /proc/1/status of ${id}`);
  return Number(uid);
}

/** One compose project of infra/compose.yaml: its name, the variables it is started with. */
export class ComposeProject {
  constructor(
    readonly name: string,
    private readonly variables: Record<string, string>,
  ) {}

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, ...this.variables };
  }

  compose(...args: string[]): Promise<CommandResult> {
    return command(
      'docker-compose',
      ['--project-name', this.name, '--file', COMPOSE_FILE, '--file', HOST_NETWORK_BUILD, ...args],
      this.env(),
    );
  }

  /** The ids of a service's containers (all replicas), running or not. */
  async containers(service: string): Promise<string[]> {
    const { stdout } = await this.compose('ps', '--all', '-q', service);
    return stdout.split('\n').filter(Boolean);
  }

  /** The last lines every service wrote (for a failing test). */
  async logs(lines = 60): Promise<string> {
    return (
      await this.compose('logs', '--no-color', `--tail=${lines}`).catch((error: Error) => ({
        stdout: error.message,
      }))
    ).stdout;
  }
}
