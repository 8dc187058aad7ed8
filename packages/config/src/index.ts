export {
  loadConfig,
  SETTING_NAMES,
  ConfigError,
  MAX_ACCESS_TOKEN_TTL_SECONDS,
  MAX_TOKEN_LEEWAY_SECONDS,
  type Config,
  type TokenConfig,
  type FastConfig,
  type FeedConfig,
  type WritesConfig,
  type LoginThrottleConfig,
  type TwoFactorConfig,
} from './config.js';
export {
  parseDatabaseUrl,
  redactDatabaseUrl,
  DEFAULT_DATABASE_URL,
  type DatabaseTarget,
} from './database-url.js';
export { loadConfigOrExit } from './load-or-exit.js';
export { NODE_FLAGS, missingNodeFlags, type ServiceWithFlags } from './node-flags.js';
export {
  RedisEvictionGuard,
  maxmemoryPolicy,
  NO_EVICTION,
  type RedisPolicySource,
} from './redis-eviction.js';
export { appendOnlyEnabled, persistenceWarning, type RedisPersistenceSource } from './redis-persistence.js';
