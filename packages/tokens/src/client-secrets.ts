import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Client, type Orm } from '@tandem/models';
import { deriveKey } from './derive-key.js';

/**
 * Machine-client credentials. The secret has 256 random bits, so it needs no slow password hash: a
 * keyed HMAC-SHA256 (key derived from TANDEM_SECRET_KEY, purpose "client-secret-hmac") is enough to make
 * a stolen database useless, and cheap enough for thousands of client_credentials grants per second.
 */
export function newClientId(): string {
  return `tc_${randomBytes(12).toString('base64url')}`;
}

export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export class ClientSecretHasher {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = deriveKey(secretKey, 'client-secret-hmac');
  }

  hash(secret: string): string {
    return createHmac('sha256', this.key).update(secret, 'utf8').digest('hex');
  }

  /** Constant-time comparison of the presented secret's HMAC with the stored one. */
  verify(secret: string, storedHash: string): boolean {
    const presented = Buffer.from(this.hash(secret), 'hex');
    const stored = Buffer.from(storedHash, 'hex');
    return stored.length === presented.length && timingSafeEqual(presented, stored);
  }
}

export interface CreatedClient {
  readonly client: Client;
  /**
   * Shown once to whoever created the client; only its HMAC is stored. Undefined for a public client
   * (it stores the HMAC of a secret nobody is given, so no secret ever authenticates it).
   */
  readonly clientSecret: string | undefined;
}

/** What a new client is: its name and scopes, and for apps signing people in, the code-flow settings. */
export interface ClientFields {
  readonly name: string;
  readonly scopes: string[];
  readonly redirectUris?: string[];
  readonly allowedOrigins?: string[];
  /** Default: client_credentials (a machine client). */
  readonly grantTypes?: string[];
  readonly isPublic?: boolean;
  readonly isFirstParty?: boolean;
}

/** Creates a client with a fresh id and secret (used by `tandem createclient` and the admin). */
export async function createClient(
  em: Orm['em'],
  fields: ClientFields,
  secretKey: string,
): Promise<CreatedClient> {
  const clientSecret = newClientSecret();
  const fork = em.fork();
  const client = fork.create(Client, {
    name: fields.name.trim(),
    clientId: newClientId(),
    secretHash: new ClientSecretHasher(secretKey).hash(clientSecret),
    scopes: fields.scopes,
    redirectUris: fields.redirectUris ?? [],
    allowedOrigins: fields.allowedOrigins ?? [],
    grantTypes: fields.grantTypes ?? ['client_credentials'],
    isPublic: fields.isPublic ?? false,
    isFirstParty: fields.isFirstParty ?? false,
    isActive: true,
  });
  await fork.flush();
  return { client, clientSecret: client.isPublic ? undefined : clientSecret };
}
