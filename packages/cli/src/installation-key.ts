import path from 'node:path';
import type { Config } from '@tandem/config';
import type { Orm } from '@tandem/models';
import { assertSecretKeyOpensSigningKeys, SecretKeyMismatchError } from '@tandem/tokens';
import { CommandError } from './command.js';
import { existingSecretKey, type SecretKey } from './start/secret-key.js';

/**
 * The secret key for commands that write what the services must read back (signing keys sealed
 * with it, client-secret hashes keyed from it). Only `tandem start` creates a key: a command run from
 * another directory (TANDEM_DATA_DIR is relative) would otherwise create its own and quietly write
 * with it. Read (readInstallationKey) from where `tandem start` puts it, then checked here against
 * the signing keys before anything is written with it.
 */
export async function checkInstallationKey(orm: Orm, key: SecretKey): Promise<string> {
  try {
    await assertSecretKeyOpensSigningKeys(orm.em.fork(), key.value);
  } catch (error) {
    throw asMismatch(error, key);
  }
  return key.value;
}

/** Read before the database is opened: a missing key is the likelier mistake, and says where it looked. */
export function readInstallationKey(config: Config): SecretKey {
  const dataDir = path.resolve(config.dataDir);
  const key = existingSecretKey(config.secretKey, dataDir);
  if (key === undefined)
    throw new CommandError(
      `no secret key: TANDEM_SECRET_KEY is not set and ${path.join(dataDir, 'secret.key')} does not exist. ` +
        'This command uses the key the services run with and never creates one (`tandem start` does, in its ' +
        'data directory, relative to where it runs): run it from that directory, or set TANDEM_DATA_DIR to ' +
        "that data directory, or TANDEM_SECRET_KEY to the services' key.",
    );
  return key;
}

/** A SecretKeyMismatchError (from the check, or from a write racing it) as the command's message. */
export function asMismatch(error: unknown, key: SecretKey): unknown {
  if (!(error instanceof SecretKeyMismatchError)) return error;
  const which =
    key.source === 'environment'
      ? 'TANDEM_SECRET_KEY'
      : `the secret key in ${key.file ?? 'the data directory'}`;
  return new CommandError(
    `${which} differs from the one the services use: it cannot decrypt the ${error.state} signing key ` +
      `${error.kid}. Nothing was written. Set TANDEM_SECRET_KEY to the services' key, or TANDEM_DATA_DIR to ` +
      'the data directory `tandem start` uses.',
  );
}
