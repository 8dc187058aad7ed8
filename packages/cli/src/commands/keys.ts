import { parseArgs } from 'node:util';
import {
  ConcurrentRotationError,
  ensureSigningKeys,
  listSigningKeys,
  rotateSigningKeys,
  type SigningKeySummary,
} from '@tandem/tokens';
import { CommandError, UsageError, type Command } from '../command.js';
import { withOrm } from '../database.js';
import { asMismatch, checkInstallationKey, readInstallationKey } from '../installation-key.js';

const when = (date: Date | null) => (date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

/** A table of keys: public facts only (kid, state, timestamps), never private material. */
function keyTable(keys: readonly SigningKeySummary[]): string {
  const rows = [
    ['KID', 'STATE', 'CREATED', 'ACTIVATED', 'DEACTIVATED', 'RETIRE AFTER', 'RETIRED'],
    ...keys.map((key) => [
      key.kid,
      key.state,
      when(key.createdAt),
      when(key.activatedAt),
      when(key.deactivatedAt),
      when(key.retireAfter),
      when(key.retiredAt),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** `tandem keys list` / `tandem keys rotate`: the signing keys of access tokens. */
export const keysCommand: Command = {
  name: 'keys',
  summary:
    'List signing keys, or rotate them (next key starts signing, current key is kept for verification).',
  usage: 'keys list | keys rotate',
  async run(argv, { config, stdout }) {
    const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
    const [action, ...extra] = positionals;
    if (extra.length > 0 || (action !== 'list' && action !== 'rotate'))
      throw new UsageError('say "list" or "rotate".');
    // Only rotate needs the key; list shows public facts and works without it.
    const key = action === 'rotate' ? readInstallationKey(config) : undefined;
    return withOrm(config, async (orm) => {
      if (action === 'list' || key === undefined) {
        const keys = await listSigningKeys(orm.em);
        stdout.write(
          keys.length === 0
            ? 'No signing keys yet (the auth service creates them on its first start).\n'
            : keyTable(keys),
        );
        return 0;
      }
      const secretKey = await checkInstallationKey(orm, key);
      let created;
      let result;
      try {
        // Both check the key again inside their transaction, in case keys appeared meanwhile.
        created = await ensureSigningKeys(orm.em, secretKey);
        if (created.length === 0) result = await rotateSigningKeys(orm.em, secretKey, config.tokens);
      } catch (error) {
        if (error instanceof ConcurrentRotationError) throw new CommandError(error.message);
        throw asMismatch(error, key);
      }
      if (result === undefined) {
        stdout.write(`No signing keys existed: created ${created.join(', ')} (current and next).\n`);
        return 0;
      }
      stdout.write(
        result.rotated
          ? `Rotated: ${result.current} now signs; ${result.previous ?? 'no key'} stays in the JWKS until its tokens expire; ` +
              `${result.next} is published as the next key.\n` +
              `Running auth services switch within ${config.tokens.signingKeyRefreshSeconds}s.\n`
          : `No next key was published, so none was promoted: published ${result.next}; rotate again later.\n`,
      );
      return 0;
    });
  },
};
