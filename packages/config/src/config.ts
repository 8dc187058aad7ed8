import { z } from 'zod';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl, type DatabaseTarget } from './database-url.js';

/** Raised when an environment variable holds a value Tandem cannot use; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

/**
 * Every environment variable Tandem reads, with its default. Nothing else in the repo reads
 * `process.env` for settings: services receive the parsed `Config`.
 */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.string().default(DEFAULT_DATABASE_URL),
  HOST: z.string().min(1).default('127.0.0.1'),
  ADMIN_PORT: port(8000),
  AUTH_PORT: port(8001),
  FAST_PORT: port(8002),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TANDEM_SECRET_KEY: optionalText.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters long',
  }),
  TANDEM_DATA_DIR: z.string().min(1).default('.data'),
  TANDEM_SUPERUSER_EMAIL: optionalText,
  TANDEM_SUPERUSER_PASSWORD: optionalText,
  LOGIN_THROTTLE_ATTEMPTS: positiveInt(5),
  LOGIN_THROTTLE_WINDOW_SECONDS: positiveInt(900),
  ADMIN_SESSION_MAX_AGE_SECONDS: positiveInt(60 * 60 * 12),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly database: DatabaseTarget;
  readonly host: string;
  readonly ports: { readonly admin: number; readonly auth: number; readonly fast: number };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Signs admin session cookies; `tandem start` creates one under the data dir when unset. */
  readonly secretKey: string | undefined;
  readonly dataDir: string;
  readonly superuser: { readonly email: string | undefined; readonly password: string | undefined };
  readonly loginThrottle: { readonly attempts: number; readonly windowSeconds: number };
  readonly adminSessionMaxAgeSeconds: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(variable, `${issue.message.replace(/^Invalid input: /, '')} (got ${JSON.stringify(env[variable])})`);
  }
  const v = result.data;
  let database: DatabaseTarget;
  try {
    database = parseDatabaseUrl(v.DATABASE_URL, cwd);
  } catch (error) {
    throw new ConfigError('DATABASE_URL', (error as Error).message);
  }
  return {
    env: v.NODE_ENV,
    database,
    host: v.HOST,
    ports: { admin: v.ADMIN_PORT, auth: v.AUTH_PORT, fast: v.FAST_PORT },
    logLevel: v.LOG_LEVEL,
    secretKey: v.TANDEM_SECRET_KEY,
    dataDir: v.TANDEM_DATA_DIR,
    superuser: { email: v.TANDEM_SUPERUSER_EMAIL, password: v.TANDEM_SUPERUSER_PASSWORD },
    loginThrottle: { attempts: v.LOGIN_THROTTLE_ATTEMPTS, windowSeconds: v.LOGIN_THROTTLE_WINDOW_SECONDS },
    adminSessionMaxAgeSeconds: v.ADMIN_SESSION_MAX_AGE_SECONDS,
  };
}
