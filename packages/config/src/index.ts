export { loadConfig, ConfigError, type Config } from './config.js';
export { parseDatabaseUrl, redactDatabaseUrl, DEFAULT_DATABASE_URL, type DatabaseTarget } from './database-url.js';
