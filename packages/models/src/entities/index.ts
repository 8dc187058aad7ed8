// The entities' classes and helpers. Which entities the ORM knows is the model registry's business
// (../registry.ts): a new model file is listed there, not here.
export { AuditEntry, type FieldDiff } from './audit-entry.js';
export { Category, validateCategory } from './category.js';
export { ChangeEvent } from './change-event.js';
export { Product, validateProduct } from './product.js';
export { Order, validateOrder } from './order.js';
export {
  ORDER_STATUSES,
  MAX_ORDER_CENTS,
  MAX_ORDER_LINES,
  MAX_ORDER_QUANTITY,
  orderAmountsProblem,
  orderHoldProblem,
  orderUnits,
  orderLinesProblem,
  orderTotal,
  type OrderLine,
  type StockTaken,
  type OrderStatus,
} from './order-lines.js';
export {
  Write,
  WRITE_OPS,
  WRITE_STATUSES,
  WRITE_HOT_SECONDS,
  type WriteErrors,
  type WriteOp,
  type WriteStatus,
} from './write.js';
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
