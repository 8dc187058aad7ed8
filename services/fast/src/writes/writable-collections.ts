import {
  writeHandlerOf,
  type HotProjection,
  type WriteBodySchemas,
  type WriteDeclaration,
} from '@tandem/models';
import { AccessTokenVerifier } from '@tandem/tokens';
import type { HotStore } from '../data/store.js';
import { compileWriteValidators, type FieldErrors, type WriteBodyValidator } from './body-validator.js';
import { ORDERS_HANDLER, orderAmountErrors } from './order-amounts.js';

export type WriteOp = 'create' | 'update' | 'delete';

/** A collection clients may write, as the write endpoints need it: compiled once at start-up. */
export interface WritableCollection {
  readonly name: string;
  readonly declaration: WriteDeclaration;
  /** AccessTokenVerifier.scopeBit(declaration.scope), taken once. */
  readonly scopeBit: number;
  readonly validator: WriteBodyValidator;
  /**
   * What a POST body that passed the schema must also satisfy against the data this node serves (an
   * order's amounts at the served prices), or undefined when nothing.
   */
  readonly createRule:
    ((store: HotStore, body: Readonly<Record<string, unknown>>) => FieldErrors | undefined) | undefined;
}

/** The methods every read path answers: HEAD is the GET without its body (routes.ts, mountHead). */
export const READ_METHODS: readonly string[] = ['GET', 'HEAD'];
const SHAPES = { collection: ['GET', 'HEAD', 'POST'], record: ['GET', 'HEAD', 'PATCH', 'DELETE'] } as const;

/**
 * The hot collections that declare `writes`, with their body validators (Ajv, compiled here once per
 * collection). Also answers which methods a path allows, for 405 answers' Allow header.
 */
export class WritableCollections {
  private readonly byName = new Map<string, WritableCollection>();

  constructor(
    projections: readonly HotProjection[],
    schemasOf: (projection: HotProjection) => WriteBodySchemas,
    /** ORDER_HOLD_MAX_UNITS: an order taking more units than this on its own is refused at once. */
    orderHoldMaxUnits = 0,
  ) {
    const writable = projections.filter((p) => p.writes !== undefined);
    const validators = compileWriteValidators(new Map(writable.map((p) => [p.collection, schemasOf(p)])));
    for (const p of writable)
      this.byName.set(p.collection, {
        name: p.collection,
        declaration: p.writes!,
        scopeBit: AccessTokenVerifier.scopeBit(p.writes!.scope),
        validator: validators.get(p.collection)!,
        createRule:
          writeHandlerOf(p.writes!) === ORDERS_HANDLER
            ? (store, body) => orderAmountErrors(store, body, orderHoldMaxUnits)
            : undefined,
      });
  }

  /** The collection when it accepts `op`, else undefined (then the method is not allowed: 405). */
  accepting(collection: string, op: WriteOp): WritableCollection | undefined {
    const target = this.byName.get(collection);
    if (!target) return undefined;
    const { create, update, delete: deletes } = target.declaration;
    const accepts =
      op === 'create' ? create !== undefined : op === 'update' ? update !== undefined : deletes === true;
    return accepts ? target : undefined;
  }

  /** The methods `/v1/{collection}` (shape "collection") or `/v1/{collection}/{id}` ("record") allow. */
  allowed(collection: string, shape: keyof typeof SHAPES): readonly string[] {
    const ops: Readonly<Record<string, WriteOp>> = { POST: 'create', PATCH: 'update', DELETE: 'delete' };
    return SHAPES[shape].filter(
      (m) => READ_METHODS.includes(m) || this.accepting(collection, ops[m]!) !== undefined,
    );
  }

  get size(): number {
    return this.byName.size;
  }
}
