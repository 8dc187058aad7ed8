/**
 * Model-level validation, the equivalent of Django's `full_clean()`: run by entity hooks before every
 * insert/update through the ORM, so the admin, the CLI and any worker get the same field errors. For
 * writers that bypass the ORM the database's constraints enforce the rules' shape, not all of them: a
 * currency there is three capital letters, so a withdrawn code (DEM) passes it and only this refuses it.
 */
export class ModelValidationError extends Error {
  constructor(readonly errors: Readonly<Record<string, string>>) {
    super(
      Object.entries(errors)
        .map(([field, message]) => `${field}: ${message}`)
        .join('; '),
    );
    this.name = 'ModelValidationError';
  }
}

export type FieldErrors = Record<string, string>;

export function throwIfInvalid(errors: FieldErrors): void {
  if (Object.keys(errors).length > 0) throw new ModelValidationError(errors);
}

const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));

export function isCurrencyCode(value: unknown): boolean {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value) && ISO_4217.has(value);
}

export function isNonNegativeInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isBlank(value: unknown): boolean {
  return typeof value !== 'string' || value.trim() === '';
}

export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * Characters no address needs and markup or scripts do: whitespace (including U+2028/U+2029), control
 * characters, < > " ` and backslash (quoted local parts such as "a b"@x are not accepted). The apostrophe
 * stays allowed: real addresses have it (o'brien@example.com), and every page that shows an email
 * escapes it; what broke out of the page's script was `<`, which is refused.
 */
const EMAIL_PART = /^[^\s@<>"`\\\p{Cc}]+$/u;

// Deliberately loose (like Django's EmailValidator in spirit): one @, something on each side, no
// whitespace, control characters or markup characters anywhere (an email is shown on admin pages).
export function isEmail(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 254) return false;
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) return false;
  return EMAIL_PART.test(value.slice(0, at)) && EMAIL_PART.test(value.slice(at + 1));
}

export function isSlug(value: unknown): boolean {
  return typeof value === 'string' && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(value);
}
