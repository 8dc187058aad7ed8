import { ConfigError, loadConfig, type Config } from './config.js';

/**
 * For a service's entry point: the validated config, or a one-line message naming the bad variable
 * on stderr and exit code 2 (no stack trace for a typo in the environment).
 */
export function loadConfigOrExit(service: string, env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${service}: configuration error: ${error.message}\n`);
    process.exit(2);
  }
}
