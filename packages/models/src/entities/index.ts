import { AuditEntry } from './audit-entry.js';
import { Category } from './category.js';
import { ChangeEvent } from './change-event.js';
import { AuthorizationCode } from './authorization-code.js';
import { Client } from './client.js';
import { Consent } from './consent.js';
import { LoginSession } from './login-session.js';
import { Product } from './product.js';
import { RecoveryCode } from './recovery-code.js';
import { RefreshToken } from './refresh-token.js';
import { Role } from './role.js';
import { Session } from './session.js';
import { SigningKey } from './signing-key.js';
import { User } from './user.js';
import { UserTotp } from './user-totp.js';

export { AuditEntry, type FieldDiff } from './audit-entry.js';
export { Category, validateCategory } from './category.js';
export { ChangeEvent } from './change-event.js';
export { Product, validateProduct } from './product.js';
export { Role, validateRole } from './role.js';
export { User, normalizeEmail, validateUser } from './user.js';
export {
  Client,
  validateClient,
  redirectUriProblem,
  originProblem,
  CLIENT_GRANT_TYPES,
  type ClientGrantType,
} from './client.js';
export { AuthorizationCode } from './authorization-code.js';
export { Consent } from './consent.js';
export { LoginSession } from './login-session.js';
export { Session, validateSession } from './session.js';
export { UserTotp } from './user-totp.js';
export { RecoveryCode } from './recovery-code.js';
export { RefreshToken } from './refresh-token.js';
export {
  SigningKey,
  SIGNING_KEY_STATES,
  type SigningKeyState,
  type PublicSigningJwk,
} from './signing-key.js';

/**
 * Every entity the ORM knows, like Django's INSTALLED_APPS models. Grouped by who owns them:
 * - accounts and catalog (the source of truth): User, Role, Category, Product, AuditEntry
 * - auth service (sessions, refresh tokens, signing keys, clients): added by the auth service issue
 * - change feed (change_event outbox): added by the fast service issue
 */
export const entities = [
  User,
  Role,
  Category,
  Product,
  AuditEntry,
  Client,
  Session,
  RefreshToken,
  SigningKey,
  ChangeEvent,
  UserTotp,
  RecoveryCode,
  AuthorizationCode,
  Consent,
  LoginSession,
];
