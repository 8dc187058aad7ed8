import { COLLECTION_SCOPES } from '@tandem/models';
import { IDENTITY_SCOPES } from '@tandem/tokens';

/**
 * What to tell whoever gives a client or role these scopes, one line each: a scope no collection asks
 * for (a typo such as "catlog:read" otherwise made a client whose tokens opened nothing, silently), or
 * none at all. Warnings, not refusals: a scope may be meant for another service that trusts these tokens.
 */
export function scopeWarnings(scopes: readonly string[], holder: 'client' | 'role'): string[] {
  const known = [...COLLECTION_SCOPES, ...IDENTITY_SCOPES].sort();
  const unknown = scopes.filter((scope) => !known.includes(scope));
  const warnings = unknown.map(
    (scope) =>
      `warning: nothing in this project asks for scope "${scope}" (a typo?); tokens with it open nothing here. ` +
      `Known: ${known.join(', ')}.`,
  );
  if (scopes.length === 0 && holder === 'client')
    warnings.push('warning: the client has no scopes: its tokens read and write nothing (give --scope).');
  return warnings;
}
