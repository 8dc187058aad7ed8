import { AuditEntry } from './entities/audit-entry.js';
import { AuthorizationCode } from './entities/authorization-code.js';
import { categoryModel } from './entities/category.js';
import { ChangeEvent } from './entities/change-event.js';
import { Client } from './entities/client.js';
import { Consent } from './entities/consent.js';
import { LoginSession } from './entities/login-session.js';
import { orderModel } from './entities/order.js';
import { productModel } from './entities/product.js';
import { RecoveryCode } from './entities/recovery-code.js';
import { RefreshToken } from './entities/refresh-token.js';
import { Role } from './entities/role.js';
import { Session } from './entities/session.js';
import { SigningKey } from './entities/signing-key.js';
import { User } from './entities/user.js';
import { UserTotp } from './entities/user-totp.js';
import { writeModel } from './entities/write.js';
import type { HotProjection } from './hot/projections.js';
import { defineModel, type ModelDeclaration } from './model.js';
import {
  PERMISSION_ACTIONS,
  SITE_PERMISSIONS,
  permissionCodename,
  registerPermissionCodenames,
} from './permissions.js';

/**
 * Every model Tandem knows, like Django's INSTALLED_APPS: one line per model file. Adding a model is
 * its file (the entity and its `defineModel` declaration) and one line here; from this list follow the
 * ORM's entities, the admin pages, Django's four permissions per model, the hot collections the fast
 * service serves and the OpenAPI documents.
 */
export const registry: readonly ModelDeclaration[] = [
  // The catalog: hot models, declared next to their entities.
  productModel,
  categoryModel,
  // A per-user hot model: each order is served to its owner only.
  orderModel,
  // The write path's outcomes (issue 15): each write's status, served to its writer only.
  writeModel,
  // Accounts, the audit log and the auth service's tables: their admin pages are hand-written
  // resources (services/admin/src/resources/) for their security rules; these declarations only add
  // labels.
  defineModel(User),
  defineModel(Role),
  defineModel(AuditEntry, {
    admin: {
      label: 'Audit log',
      propertyLabels: { actorEmail: 'By', recordId: 'Record id', createdAt: 'When' },
    },
  }),
  defineModel(Client),
  defineModel(Session),
  defineModel(RefreshToken, { admin: false }),
  defineModel(SigningKey),
  // Two-factor secrets and recovery codes, and the authorization code flow's state: written by the
  // auth service only, never edited by staff.
  defineModel(UserTotp, { admin: false }),
  defineModel(RecoveryCode, { admin: false }),
  defineModel(AuthorizationCode, { admin: false }),
  defineModel(Consent, { admin: false }),
  defineModel(LoginSession, { admin: false }),
  // The change feed's outbox.
  defineModel(ChangeEvent, { admin: false }),
];

/** Every entity the ORM knows (and `tandem makemigrations` compares with the migrations). */
export const entities = registry.map((model) => model.entity);

/**
 * The hot projections, each with its entity and table name: read by the fast service, the change
 * feed, the relay, the OpenAPI generator and the migrations' change-capture trigger helper. A stable
 * name: other parts import it.
 */
export const hotProjections: readonly HotProjection[] = registry.flatMap((model) =>
  model.hot ? [{ ...model.hot, entity: model.name, table: model.table }] : [],
);

/**
 * Every scope a collection asks for: to read it, to read every owner's rows, to write it. A token
 * scope outside these (and the identity scopes, openid and email) opens nothing in this project.
 */
export const COLLECTION_SCOPES: readonly string[] = [
  ...new Set(
    hotProjections.flatMap((hot) => [
      hot.scope,
      ...(hot.rowAccess?.anyScope === undefined ? [] : [hot.rowAccess.anyScope]),
      ...(hot.writes === undefined ? [] : [hot.writes.scope]),
    ]),
  ),
].sort();

/** Codename suffixes of the models staff get Django's four permissions on ("product", "role"...). */
export const PERMISSION_MODELS: readonly string[] = registry.flatMap((model) =>
  model.permissionModel ? [model.permissionModel] : [],
);

/** Every codename a role may list: the four of each model, then the site-wide ones (view_metrics). */
export const ALL_PERMISSION_CODENAMES: readonly string[] = [
  ...PERMISSION_MODELS.flatMap((model) =>
    PERMISSION_ACTIONS.map((action) => permissionCodename(action, model)),
  ),
  ...Object.keys(SITE_PERMISSIONS),
];
registerPermissionCodenames(ALL_PERMISSION_CODENAMES);
