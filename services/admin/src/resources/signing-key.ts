import type { ResourceWithOptions } from 'adminjs';
import { WRITE_ACTIONS, modelAdmin, type ResourceDeps } from './common.js';

const READ_ONLY = [
  'kid',
  'algorithm',
  'state',
  'publicJwk',
  'createdAt',
  'activatedAt',
  'deactivatedAt',
  'retireAfter',
  'retiredAt',
];

/**
 * Signing keys, read-only: kid, state and timestamps. The encrypted private key is a hidden, lazy
 * column, so the resource never loads it, let alone shows it. Keys change with `tandem keys rotate`.
 */
export function signingKeyResource(deps: ResourceDeps): ResourceWithOptions {
  return modelAdmin(
    deps,
    {
      name: 'SigningKey',
      label: 'signing key',
      searchFields: ['kid', 'state'],
      readOnly: READ_ONLY,
      defaultSort: { sortBy: 'id', direction: 'desc' },
      audited: false,
    },
    'signingkey',
    {
      navigation: { name: 'Auth', icon: 'Key' },
      refused: WRITE_ACTIONS,
      titleProperty: 'kid',
      listProperties: [
        'id',
        'kid',
        'state',
        'createdAt',
        'activatedAt',
        'deactivatedAt',
        'retireAfter',
        'retiredAt',
      ],
      filterProperties: ['q', 'state', 'createdAt'],
      // Nothing here is editable, so the page shows every read-only field.
      showProperties: ['id', ...READ_ONLY],
      properties: {
        publicJwk: { description: 'The public key as published in the JWKS (never the private key).' },
      },
    },
  );
}
