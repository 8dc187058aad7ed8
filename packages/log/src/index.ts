import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { implicitErrorMessage, serializeError } from './error-serializer.js';
import { CENSOR, redactSecrets } from './redact.js';

export type { Logger } from 'pino';
export { isSecretKey } from './redact.js';
export { describeError } from './database-error.js';

/**
 * Paths redacted in a child logger's bindings. pino does not pass bindings through `formatters.log`
 * (and resets `formatters.bindings` for children), so bindings get pino's own path redaction, which
 * reaches the top level and one level down; bindings are context a service chooses (component,
 * request id), records are where bodies and headers go, and those are walked at any depth.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'newPassword',
  '*.newPassword',
  'currentPassword',
  '*.currentPassword',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
  'refresh_token',
  '*.refresh_token',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'privateKey',
  '*.privateKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

/**
 * One JSON logger per service; `destination` lets tests capture every line. Every record passes
 * through `redactSecrets`, so a careless `log.info({ body })` cannot leak a
 * password, token, key or credential header, however deep it sits; and every logged error through
 * `serializeError`, so a failed query's parameter values (a password hash) stay out of it too.
 */
export function createLogger(
  service: string,
  level: LevelWithSilent,
  destination?: DestinationStream,
): Logger {
  const options = {
    name: service,
    level,
    formatters: {
      log: (record: Record<string, unknown>) => redactSecrets(record),
    },
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    serializers: { err: serializeError },
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger['info']>, method: Logger['info']) {
        const message = implicitErrorMessage(args);
        // Given explicitly, the message pino would have taken from the error is the cleaned one.
        if (message !== undefined) return method.apply(this, [args[0], message]);
        return method.apply(this, args);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
