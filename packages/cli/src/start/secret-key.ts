import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CommandError } from '../command.js';

/** Same minimum as the config's TANDEM_SECRET_KEY check. */
const MIN_LENGTH = 32;

export interface SecretKey {
  readonly value: string;
  /** Where it came from, for the start-up summary (never the key itself). */
  readonly source: 'environment' | 'file' | 'new file';
  readonly file?: string;
}

/**
 * The key that signs admin sessions. TANDEM_SECRET_KEY wins; otherwise a random key kept in
 * `<dataDir>/secret.key` (created on first start, readable only by its owner), so sessions survive
 * restarts without anyone having to invent a secret, as Django's startproject does.
 */
export function ensureSecretKey(configured: string | undefined, dataDir: string): SecretKey {
  if (configured !== undefined) return { value: configured, source: 'environment' };
  const file = path.join(dataDir, 'secret.key');
  try {
    writeFileSync(file, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return { value: readKey(file), source: 'new file', file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { value: readKey(file), source: 'file', file };
}

/**
 * The same key as ensureSecretKey, for commands that must not create one: undefined when
 * TANDEM_SECRET_KEY is unset and `<dataDir>/secret.key` does not exist.
 */
export function existingSecretKey(configured: string | undefined, dataDir: string): SecretKey | undefined {
  if (configured !== undefined) return { value: configured, source: 'environment' };
  const file = path.join(dataDir, 'secret.key');
  if (!existsSync(file)) return undefined;
  return { value: readKey(file), source: 'file', file };
}

function readKey(file: string): string {
  const value = readFileSync(file, 'utf8').trim();
  if (value.length < MIN_LENGTH)
    throw new CommandError(
      `${file} holds a key shorter than ${MIN_LENGTH} characters; delete the file to have a new key created, or set TANDEM_SECRET_KEY.`,
    );
  return value;
}

/** True when group or others may read the key file (it was copied or created by hand). */
export function keyFileIsExposed(file: string): boolean {
  return (statSync(file).mode & 0o077) !== 0;
}
