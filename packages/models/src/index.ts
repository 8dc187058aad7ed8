export * from './entities/index.js';
export { openOrm, ormOptions, migrate, pendingMigrations, type Orm } from './orm.js';
export { ModelValidationError, isCurrencyCode, type FieldErrors } from './validation.js';
export {
  PERMISSION_ACTIONS,
  PERMISSION_MODELS,
  ALL_PERMISSION_CODENAMES,
  permissionCodename,
  type PermissionAction,
  type PermissionModel,
} from './permissions.js';
export { hotProjections, revocationSource, type HotProjection } from './hot/projections.js';
