import { SigningKey, type Orm, type PublicSigningJwk, type SigningKeyState } from '@tandem/models';
import { assertSecretKeyOpensSigningKeys, SecretKeyMismatchError } from './key-check.js';
import { encryptPrivateJwk } from './key-encryption.js';
import { generateSigningKeyMaterial } from './key-material.js';
import { PUBLISHED_STATES, retireAfterFor, type KeyTiming } from './key-states.js';

/** Signing keys in the database: creation, rotation, retirement. Private material never leaves encrypted. */
type Em = Orm['em'];

/** What `tandem keys list` and the admin may show: no private material. */
export interface SigningKeySummary {
  readonly id: number;
  readonly kid: string;
  readonly algorithm: string;
  readonly state: SigningKeyState;
  readonly createdAt: Date;
  readonly activatedAt: Date | null;
  readonly deactivatedAt: Date | null;
  readonly retireAfter: Date | null;
  readonly retiredAt: Date | null;
}

export interface RotationResult {
  /** False when there was no published next key to promote: one was published, rotate again later. */
  readonly rotated: boolean;
  readonly previous: string | undefined;
  readonly current: string;
  readonly next: string;
}

/** Two rotations raced; the other one won. Nothing was changed by this one. */
export class ConcurrentRotationError extends Error {
  override name = 'ConcurrentRotationError';
  constructor() {
    super(
      'signing keys changed during the rotation (another rotation ran at the same time); nothing was changed',
    );
  }
}

async function insertKey(em: Em, state: 'next' | 'current', secretKey: string, now: Date): Promise<string> {
  const material = await generateSigningKeyMaterial();
  em.create(SigningKey, {
    kid: material.kid,
    algorithm: 'EdDSA',
    state,
    publicJwk: material.publicJwk,
    privateKeyEncrypted: encryptPrivateJwk(material.privateJwk, material.kid, secretKey),
    createdAt: now,
    activatedAt: state === 'current' ? now : null,
  });
  await em.flush();
  return material.kid;
}

/**
 * First start: make sure a current key signs and a next key is published. Returns the kids created.
 * Safe to run on every start; when two processes start together the loser re-checks and finds the keys.
 */
export async function ensureSigningKeys(
  em: Em,
  secretKey: string,
  now: Date = new Date(),
): Promise<string[]> {
  const attempt = () =>
    em.fork().transactional(async (tx) => {
      // Before the keys load without their private half: the check populates it.
      await assertSecretKeyOpensSigningKeys(tx, secretKey);
      const created: string[] = [];
      const current = await tx.findOne(SigningKey, { state: 'current' });
      let next = await tx.findOne(SigningKey, { state: 'next' });
      if (!current) {
        if (next) {
          // A published key can start signing at once: verifiers already know it.
          await tx.nativeUpdate(
            SigningKey,
            { id: next.id, state: 'next' },
            { state: 'current', activatedAt: now },
          );
          next = null;
        } else {
          created.push(await insertKey(tx, 'current', secretKey, now));
        }
      }
      if (!next) created.push(await insertKey(tx, 'next', secretKey, now));
      return created;
    });
  try {
    return await attempt();
  } catch (error) {
    if (error instanceof SecretKeyMismatchError) throw error;
    const em2 = em.fork();
    const ready =
      (await em2.count(SigningKey, { state: 'current' })) === 1 &&
      (await em2.count(SigningKey, { state: 'next' })) === 1;
    if (ready) return [];
    throw error;
  }
}

/**
 * One rotation: current → previous (kept in the JWKS until its tokens expire), next → current, and a
 * fresh next is published. The next key was published since the last rotation, so verifiers have had
 * the chance to fetch it before it signs anything.
 */
export async function rotateSigningKeys(
  em: Em,
  secretKey: string,
  timing: KeyTiming,
  now: Date = new Date(),
): Promise<RotationResult> {
  return em.fork().transactional(async (tx) => {
    // A key sealed with another secret key would become current at the next rotation, undecryptable.
    await assertSecretKeyOpensSigningKeys(tx, secretKey);
    const current = await tx.findOne(SigningKey, { state: 'current' });
    const next = await tx.findOne(SigningKey, { state: 'next' });
    if (!next) {
      // Never promote a key nobody has seen: publish one now; the following rotation promotes it.
      const currentKid = current?.kid ?? (await insertKey(tx, 'current', secretKey, now));
      const nextKid = await insertKey(tx, 'next', secretKey, now);
      return { rotated: false, previous: undefined, current: currentKid, next: nextKid };
    }
    if (current) {
      const demoted = await tx.nativeUpdate(
        SigningKey,
        { id: current.id, state: 'current' },
        { state: 'previous', deactivatedAt: now, retireAfter: retireAfterFor(now, timing) },
      );
      if (demoted !== 1) throw new ConcurrentRotationError();
    }
    const promoted = await tx.nativeUpdate(
      SigningKey,
      { id: next.id, state: 'next' },
      { state: 'current', activatedAt: now },
    );
    if (promoted !== 1) throw new ConcurrentRotationError();
    const nextKid = await insertKey(tx, 'next', secretKey, now);
    return { rotated: true, previous: current?.kid, current: next.kid, next: nextKid };
  });
}

/** Previous keys whose tokens have all expired leave the JWKS; their private keys are erased. */
export async function retireExpiredKeys(em: Em, now: Date = new Date()): Promise<string[]> {
  const fork = em.fork();
  const due = await fork.find(SigningKey, { state: 'previous', retireAfter: { $lte: now } });
  if (due.length === 0) return [];
  await fork.nativeUpdate(
    SigningKey,
    { id: { $in: due.map((key) => key.id) }, state: 'previous' },
    { state: 'retired', retiredAt: now, privateKeyEncrypted: null },
  );
  return due.map((key) => key.kid);
}

export async function listSigningKeys(em: Em): Promise<SigningKeySummary[]> {
  const keys = await em.fork().find(SigningKey, {}, { orderBy: { id: 'asc' } });
  return keys.map((key) => ({
    id: key.id,
    kid: key.kid,
    algorithm: key.algorithm,
    state: key.state,
    createdAt: key.createdAt,
    activatedAt: key.activatedAt ?? null,
    deactivatedAt: key.deactivatedAt ?? null,
    retireAfter: key.retireAfter ?? null,
    retiredAt: key.retiredAt ?? null,
  }));
}

export interface PublishedKeys {
  /** next, current and previous keys, oldest first. */
  readonly published: readonly { kid: string; state: SigningKeyState; publicJwk: PublicSigningJwk }[];
  /** The signing key, still encrypted. */
  readonly current: { kid: string; privateKeyEncrypted: string } | undefined;
}

export async function loadPublishedKeys(em: Em): Promise<PublishedKeys> {
  const fork = em.fork();
  const keys = await fork.find(
    SigningKey,
    { state: { $in: [...PUBLISHED_STATES] } },
    { orderBy: { id: 'asc' } },
  );
  const currentKey = keys.find((key) => key.state === 'current');
  let current: PublishedKeys['current'];
  if (currentKey) {
    const withPrivate = await fork.findOneOrFail(
      SigningKey,
      { id: currentKey.id },
      { populate: ['privateKeyEncrypted'] },
    );
    if (withPrivate.privateKeyEncrypted)
      current = { kid: currentKey.kid, privateKeyEncrypted: withPrivate.privateKeyEncrypted };
  }
  return {
    published: keys.map((key) => ({ kid: key.kid, state: key.state, publicJwk: key.publicJwk })),
    current,
  };
}
