export {
  loadConfig,
  ConfigError,
  type Config,
  type TokenConfig,
  type FastConfig,
  type FeedConfig,
  type LoginThrottleConfig,
} from './config.js';
export {
  parseDatabaseUrl,
  redactDatabaseUrl,
  DEFAULT_DATABASE_URL,
  type DatabaseTarget,
} from './database-url.js';
export { loadConfigOrExit } from './load-or-exit.js';
