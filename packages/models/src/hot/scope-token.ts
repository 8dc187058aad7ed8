/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Whether `value` is one OAuth scope token (a scope with a space could never be granted as one). */
export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}
