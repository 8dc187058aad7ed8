import type { WriteOp, WriteRequest } from './write-request.js';

/** What a stream entry's field `w` holds: the write without its id (the entry id) and partition (the stream). */
type Payload = Omit<WriteRequest, 'id' | 'partition'>;

export function encodePayload(write: Payload): string {
  const payload: Payload = {
    collection: write.collection,
    op: write.op,
    recordId: write.recordId,
    body: write.body,
    subject: write.subject,
    ownerKey: write.ownerKey,
    sessionId: write.sessionId,
    ifMatch: write.ifMatch,
    idempotencyKey: write.idempotencyKey,
    bodyHash: write.bodyHash,
    acceptedAt: write.acceptedAt,
  };
  return JSON.stringify(payload);
}

const OPS: ReadonlySet<string> = new Set<WriteOp>(['create', 'update', 'delete']);

/** The entry back as a write; an entry this queue did not write is an error naming it, not a guess. */
export function decodePayload(id: number, partition: number, text: string): WriteRequest {
  const fail = (why: string) =>
    new Error(`write queue: entry of write ${id} in partition ${partition} ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail('is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw fail('is not an object');
  const v = value as Record<string, unknown>;
  const requiredText = (name: string): string => {
    const field = v[name];
    if (typeof field !== 'string') throw fail(`has no ${name}`);
    return field;
  };
  const nullableText = (name: string): string | null => {
    const field = v[name];
    if (field !== null && typeof field !== 'string') throw fail(`has a malformed ${name}`);
    return field;
  };
  const op = requiredText('op');
  if (!OPS.has(op)) throw fail(`has an unknown op ${JSON.stringify(op)}`);
  const body = v.body;
  if (body !== null && (typeof body !== 'object' || Array.isArray(body))) throw fail('has a malformed body');
  if (typeof v.acceptedAt !== 'number') throw fail('has no acceptedAt');
  return {
    id,
    partition,
    collection: requiredText('collection'),
    op: op as WriteOp,
    recordId: nullableText('recordId'),
    body: body as Readonly<Record<string, unknown>> | null,
    subject: requiredText('subject'),
    ownerKey: nullableText('ownerKey'),
    sessionId: nullableText('sessionId'),
    ifMatch: nullableText('ifMatch'),
    idempotencyKey: nullableText('idempotencyKey'),
    bodyHash: requiredText('bodyHash'),
    acceptedAt: v.acceptedAt,
  };
}
