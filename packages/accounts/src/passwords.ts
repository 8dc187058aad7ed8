import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with OWASP's recommended minimum (19 MiB memory, 2 passes, 1 lane). The PHC string
 * records the parameters, so raising them later still verifies old hashes.
 */
const ARGON2ID = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Upper bound so a multi-megabyte "password" cannot tie up a hashing thread. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MIN_PASSWORD_LENGTH = 8;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash is a failed login, not a crash.
    return false;
  }
}

/**
 * Django-style password validation; returns a message for the user or undefined when acceptable.
 * Takes any value: a JSON body can hold `true`, whose `length` (undefined) no length rule refuses.
 */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'Password must be text.';
  // The upper bound in UTF-16 code units, as verifyPassword applies it: never a password it refuses.
  if (password.length > MAX_PASSWORD_LENGTH)
    return `Password must be at most ${MAX_PASSWORD_LENGTH} characters.`;
  // Characters (code points), as Django counts them: four emoji are four characters, not eight.
  if ([...password].length < MIN_PASSWORD_LENGTH)
    return `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`;
  // Digits of any script (Django's isdigit): "١٢٣٤٥٦٧٨" is as numeric as "12345678".
  if (/^\p{Nd}+$/u.test(password)) return 'Password cannot be entirely numeric.';
  return undefined;
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real verification, so a login for an unknown email takes as long as one
 * for a known email with a wrong password (no account enumeration by timing).
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('tandem-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
}
