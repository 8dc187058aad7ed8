export {
  hashPassword,
  verifyPassword,
  passwordProblem,
  MIN_PASSWORD_LENGTH,
  MAX_PASSWORD_LENGTH,
} from './passwords.js';
export {
  LoginThrottle,
  type LoginThrottleOptions,
  type Reservation,
  type ThrottleVerdict,
} from './login-throttle.js';
export { clientAddressReader, type ClientAddressReader } from './client-address.js';
export { authenticateUser } from './authenticate.js';
export { crossSiteProblem, type RequestSite } from './same-origin.js';
export { credentialStamp } from './credential-stamp.js';
