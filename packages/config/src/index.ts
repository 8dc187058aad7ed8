export { loadConfig, ConfigError, type Config, type TokenConfig } from './config.js';
export { parseDatabaseUrl, redactDatabaseUrl, DEFAULT_DATABASE_URL, type DatabaseTarget } from './database-url.js';
