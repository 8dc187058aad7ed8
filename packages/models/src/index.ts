export * from './entities/index.js';
export {
  openOrm,
  ormOptions,
  migrationsIn,
  migrate,
  migratorOf,
  pendingMigrations,
  refuseUnmigratable,
  isPostgres,
  MissingDatabaseError,
  missingSqliteFile,
  type Orm,
} from './orm.js';
export { MigrationBuildError, type MigrationBuildProblems } from './schema/migration-build.js';
export { ModelValidationError, type FieldErrors } from './validation.js';
export { uniqueColumnOf } from './unique-violation.js';
export { columnKind, isCalendarDate } from './column-limits.js';
export { repeatedJsonKey, type RepeatedJsonKey } from './repeated-json-key.js';
export {
  PERMISSION_ACTIONS,
  SITE_PERMISSIONS,
  permissionCodename,
  type PermissionAction,
  type PermissionModel,
  type SitePermission,
} from './permissions.js';
export {
  registry,
  entities,
  hotProjections,
  COLLECTION_SCOPES,
  PERMISSION_MODELS,
  ALL_PERMISSION_CODENAMES,
} from './registry.js';
export {
  defineModel,
  type ModelDeclaration,
  type ModelOptions,
  type HotDeclaration,
  type HotWindowDeclaration,
  type AdminDeclaration,
  type JsonSchema,
  type AnyEntitySchema,
} from './model.js';
export { revocationSource, type HotProjection } from './hot/projections.js';
export { checkHotProjections, ProjectionError } from './hot/check.js';
export { fieldChoices } from './hot/field-choices.js';
export {
  ROW_ACCESS_CLAIMS,
  isRowAccessClaim,
  ownerKeyOf,
  type RowAccess,
  type RowAccessClaim,
} from './hot/row-access.js';
export { ownEntry, type EntityMetadataLike, type MetadataLookup } from './hot/metadata.js';
export { GENERIC_WRITE_HANDLER, writeHandlerOf, type WriteDeclaration } from './hot/writes.js';
export { writeBodySchemas, type WriteBodySchemas } from './openapi/write-schemas.js';
export {
  DEMO_SKU_PREFIX,
  MAX_DEMO_NUMBER,
  demoCategories,
  demoProduct,
  demoSku,
  type DemoCategory,
  type DemoProduct,
} from './seed/demo-catalog.js';
export {
  DEMO_USER_PREFIX,
  DEMO_USER_DOMAIN,
  MAX_DEMO_USER_NUMBER,
  demoOrder,
  demoUserEmail,
  type DemoOrder,
} from './seed/demo-orders.js';
export {
  fieldDiff,
  HIDDEN_VALUE,
  insertAuditEntries,
  recordAudit,
  type AuditActor,
  type AuditSnapshot,
} from './audit/record-audit.js';
export {
  auditAccountCreation,
  auditPasswordChange,
  auditTwoFactorChange,
  commandActor,
  type CreatedAccount,
  type TwoFactorChange,
} from './audit/account-security.js';
