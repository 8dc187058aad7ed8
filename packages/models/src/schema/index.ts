/**
 * Writing migrations from the entities (`tandem makemigrations`), imported as
 * `@tandem/models/authoring`. The migrations themselves import only ./change-capture.js.
 */
export {
  makeMigrations,
  inspectMigrations,
  recordMigrationState,
  describeChanges,
  hasChanges,
  MigrationAuthoringError,
  type DialectChanges,
  type MakeMigrationsOptions,
  type MigrationAuthoringOptions,
  type WrittenMigrations,
} from './make-migrations.js';
export {
  changeCaptureSql,
  dropChangeCaptureSql,
  truncateCaptureSql,
  dropTruncateCaptureSql,
  CURRENT_CHANGE_CAPTURE_VERSION,
} from './change-capture.js';
export { DIALECTS, MIGRATIONS_ROOT, type Dialect, type EntityList } from './authoring-orm.js';
export {
  migratedSchemaDrift,
  scratchPostgresDrift,
  scratchSqliteDrift,
  tablesMissingChangeCapture,
} from './migrated-drift.js';
export { staleModelSources } from './stale-build.js';
