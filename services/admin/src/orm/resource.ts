import {
  BaseRecord,
  BaseResource,
  NotFoundError,
  ValidationError,
  flat,
  type ActionContext,
  type CurrentAdmin,
  type Filter,
  type ParamsType,
} from 'adminjs';
import {
  ReferenceKind,
  wrap,
  type Dictionary,
  type EntityManager,
  type EntityMetadata,
  type EntityProperty,
  type FilterQuery,
  LockMode,
  QueryOrder,
} from '@mikro-orm/core';
import { HIDDEN_VALUE, isPostgres, type Orm } from '@tandem/models';
import { takeSqliteWriteLock } from '@tandem/writes';
import { actorOf, fieldDiff, recordAudit, type Snapshot } from './audit.js';
import { refusedInBulk, toValidationError } from './errors.js';
import { OrmProperty } from './property.js';
import { humanize } from '../labels.js';
import { buildWhere } from './where.js';
import { referenceId, referenceIds, scalarListValues } from './form-values.js';
import { mergeWithShown, parseShown, SHOWN_PARAM, type ShownValues } from './shown-values.js';

/** What a model's admin needs to know beyond the ORM metadata. */
export interface OrmResourceSpec {
  /** Entity name, also the AdminJS resource id (references point at it). */
  readonly name: string;
  /** Lower-case noun for messages: "product". */
  readonly label: string;
  /** Columns the Search box and reference autocomplete look in. */
  readonly searchFields: readonly string[];
  /** JSON columns that hold a list of strings (edited as a list of text inputs). */
  readonly stringLists?: readonly string[];
  /**
   * JSON columns (other than string lists) shown and edited as JSON text, like Django's JSONField: a
   * form sends text, parsed before the model validates it; text that is not JSON, or fields sent as
   * flattened keys (`lines.0.productId`), are refused next to the field.
   */
  readonly jsonText?: readonly string[];
  /** Properties never written from a form (besides the primary key). */
  readonly readOnly?: readonly string[];
  /** Unique properties and their column names, to put a duplicate-key error next to the field. */
  readonly unique?: Readonly<Record<string, string>>;
  readonly defaultSort: { readonly sortBy: string; readonly direction: 'asc' | 'desc' };
  /**
   * Form data to entity data, for fields that are not plain columns (a user's password). Runs inside
   * the write transaction; throw a ValidationError to refuse.
   */
  readonly prepare?: (data: Dictionary, mode: 'create' | 'update') => Promise<Dictionary>;
  /** Form inputs that are not entity properties but are handed to `prepare` (e.g. password). */
  readonly virtualInputs?: readonly string[];
  /**
   * Columns never sent in a record's params (list, show, search, export): the audit log's diff, which
   * its show page sends after its own rule on names (resources/audit-entry.ts).
   */
  readonly unsent?: readonly string[];
  /** False for the audit log itself: nothing writes it through the admin. */
  readonly audited?: boolean;
  /**
   * Consequences of a write that must commit or roll back with it (a deactivated user's sessions are
   * revoked). Runs inside the write transaction: after the row is flushed on create and update, and
   * before it is removed on delete (so what hangs on it can still be read). Throw to refuse the write.
   */
  readonly onWrite?: (em: EntityManager, change: WriteChange) => Promise<void>;
  /**
   * Locks an update or delete takes before the rows' own (PostgreSQL), for all its rows at once: rows
   * its onWrite will write, and the rows themselves, taken in the order other writers take them (an
   * order's products, then the orders in id order), so none can deadlock with them.
   */
  readonly lockBeforeWrite?: (em: EntityManager, ids: readonly unknown[]) => Promise<void>;
  /**
   * Values the record's pages show that no column holds (when an unpaid order's stock hold ends),
   * worked out from the stored ones each time the record is read: never written, never audited.
   */
  readonly shownValues?: (stored: Snapshot) => Snapshot;
}

/** How a list is ordered (OrmResource.ordering). */
export interface ListOrdering {
  /** The sorted property (the asked-for one if sortable, else the default). */
  readonly field: string;
  readonly direction: 'asc' | 'desc';
  /** The primary key property, the tie-breaker. */
  readonly pk: string;
  /** MikroORM orderBy: the field (NULLs last), then the primary key. */
  readonly orderBy: Record<string, QueryOrder>;
}

/** One write as an onWrite hook sees it. */
export interface WriteChange {
  readonly mode: 'create' | 'update' | 'delete';
  /** The record's primary key. */
  readonly id: unknown;
  /** The audited snapshot before the write (null on create). */
  readonly before: Snapshot | null;
  /** The audited snapshot after the write (null on delete). */
  readonly after: Snapshot | null;
  /** The entity data written, after `prepare` (e.g. a new passwordHash); empty on delete. */
  readonly data: Dictionary;
}

const WRITABLE_KINDS: readonly ReferenceKind[] = [
  ReferenceKind.SCALAR,
  ReferenceKind.MANY_TO_ONE,
  ReferenceKind.ONE_TO_ONE,
  ReferenceKind.MANY_TO_MANY,
];

function primaryKeyOf(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return wrap(value as object, true).getPrimaryKey();
}

/** A JSON-text field's value; anything but text holding JSON is refused next to the field. */
function parseJsonText(field: string, value: unknown): unknown {
  if (typeof value === 'string' && value.trim() !== '') {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      // Refused below, with the same message as a value that is not text.
    }
  }
  throw new ValidationError(
    { [field]: { type: 'json', message: 'Enter valid JSON.' } },
    { message: 'Please correct the errors below.', type: 'json' },
  );
}

/** A timestamp as a form or the ORM holds it, in milliseconds; null when there is none. */
function timeOf(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  return value instanceof Date ? value.getTime() : new Date(String(value)).getTime();
}

/**
 * An AdminJS resource over one MikroORM entity. Replaces the stock @adminjs/mikroorm Resource, which
 * crashes in databaseName() on SQLite, reports "saved" when the database refused the row, and writes
 * no audit trail. Every write here runs in one transaction together with its AuditEntry.
 */
export class OrmResource extends BaseResource {
  readonly meta: EntityMetadata;
  /**
   * The timestamp the ORM sets on every update (its onUpdate), when the entity has one. The edit form
   * sends it back as it was shown (onlyWritableFields lets it through only then), and update() refuses
   * to save over a row whose timestamp has moved on since.
   */
  readonly versionField: string | undefined;
  private readonly props: Map<string, OrmProperty>;

  constructor(
    readonly orm: Orm,
    readonly spec: OrmResourceSpec,
  ) {
    super();
    this.meta = orm.getMetadata().get(spec.name);
    this.versionField = this.meta.props.find(
      (prop) => prop.kind === ReferenceKind.SCALAR && prop.onUpdate !== undefined,
    )?.name;
    this.props = new Map();
    this.meta.props
      .filter((prop) => WRITABLE_KINDS.includes(prop.kind) && !prop.hidden && !prop.lazy)
      .forEach((prop, index) => {
        const property = new OrmProperty(
          prop,
          index + 1,
          spec.stringLists?.includes(prop.name) ?? false,
          spec.readOnly?.includes(prop.name) ?? false,
          spec.jsonText?.includes(prop.name) ?? false,
        );
        this.props.set(prop.name, property);
      });
  }

  override databaseName(): string {
    return 'tandem';
  }

  override databaseType(): string {
    return this.orm.config.get('driver')?.name ?? 'sql';
  }

  override id(): string {
    return this.spec.name;
  }

  name(): string {
    return this.spec.name;
  }

  override properties(): OrmProperty[] {
    return [...this.props.values()];
  }

  override property(path: string): OrmProperty | null {
    return this.props.get(path) ?? null;
  }

  override build(params: Record<string, unknown>): BaseRecord {
    return new BaseRecord(flat.unflatten(params) as ParamsType, this);
  }

  /** A fresh unit of work per call: AdminJS resources are shared by every request. */
  em(): EntityManager {
    return this.orm.em.fork();
  }

  private get manyToMany(): string[] {
    return [...this.props.values()]
      .filter((p) => p.meta.kind === ReferenceKind.MANY_TO_MANY)
      .map((p) => p.meta.name);
  }

  /** The id from a URL, or undefined when it cannot be one (so a bad id is a 404, not a 500). */
  parseId(id: string | number): number | string | undefined {
    const pk = this.meta.properties[this.meta.primaryKeys[0]!]!;
    if (pk.runtimeType !== 'number') return String(id);
    const number = Number(id);
    return Number.isSafeInteger(number) ? number : undefined;
  }

  where(filter: Filter | undefined): FilterQuery<object> {
    return buildWhere(filter, this.meta, this.spec.searchFields, this.spec.unsent) as FilterQuery<object>;
  }

  override async count(filter: Filter): Promise<number> {
    return this.em().count(this.spec.name, this.where(filter));
  }

  /**
   * The list's order: the asked-for column if it is sortable (else the default), then the primary key
   * in the same direction so ties have one order. NULLs go last in both directions on both databases
   * (SQLite and PostgreSQL disagree otherwise), which the export's keyset scan relies on.
   */
  ordering(sort: { sortBy?: string; direction?: 'asc' | 'desc' } = {}): ListOrdering {
    const field =
      sort.sortBy && this.props.get(sort.sortBy)?.isSortable() ? sort.sortBy : this.spec.defaultSort.sortBy;
    const direction = (sort.direction ?? this.spec.defaultSort.direction) === 'desc' ? 'desc' : 'asc';
    const pk = this.meta.primaryKeys[0]!;
    const orderBy: Record<string, QueryOrder> = {
      [field]: direction === 'desc' ? QueryOrder.DESC_NULLS_LAST : QueryOrder.ASC_NULLS_LAST,
    };
    if (field !== pk) orderBy[pk] = direction === 'desc' ? QueryOrder.DESC : QueryOrder.ASC;
    return { field, direction, pk, orderBy };
  }

  override async find(
    filter: Filter,
    options: { limit?: number; offset?: number; sort?: { sortBy?: string; direction?: 'asc' | 'desc' } } = {},
  ): Promise<BaseRecord[]> {
    const limit = Math.min(Math.max(Math.trunc(Number(options.limit ?? 25)) || 25, 1), 500);
    const offset = Math.max(Math.trunc(Number(options.offset ?? 0)) || 0, 0);
    const entities = await this.em().find(this.spec.name, this.where(filter), {
      orderBy: this.ordering(options.sort).orderBy,
      limit,
      offset,
      populate: this.manyToMany as never[],
    });
    return entities.map((entity) => this.record(entity));
  }

  override async findOne(id: string | number): Promise<BaseRecord | null> {
    const pk = this.parseId(id);
    if (pk === undefined) return null;
    const entity = await this.em().findOne(this.spec.name, pk as FilterQuery<object>, {
      populate: this.manyToMany as never[],
    });
    return entity ? this.record(entity) : null;
  }

  /**
   * Records by id. AdminJS also calls this (with the request's context) to populate the references of
   * another resource's records: an order's owner, a product's category. Staff who may not view this
   * resource then get only what a link to it shows, the id and the title, as Django's admin shows a
   * related object by its name; never the rest of its fields (a user's flags, last login, roles).
   */
  override async findMany(ids: Array<string | number>, context?: ActionContext): Promise<BaseRecord[]> {
    const pks = ids.map((id) => this.parseId(id)).filter((id) => id !== undefined);
    if (pks.length === 0) return [];
    const entities = await this.em().find(
      this.spec.name,
      { [this.meta.primaryKeys[0]!]: { $in: pks } } as FilterQuery<object>,
      { populate: this.manyToMany as never[] },
    );
    const records = entities.map((entity) => this.record(entity));
    if (context === undefined || this.mayView(context.currentAdmin)) return records;
    return records.map((record) => this.titleOnly(record));
  }

  /** Whether a staff member may view this resource's records; set by the model's admin (modelAdmin). */
  mayView: (admin: CurrentAdmin | undefined) => boolean = () => false;

  private titleOnly(record: BaseRecord): BaseRecord {
    const pk = this.meta.primaryKeys[0]!;
    const title = this.decorate().titleProperty().name();
    return new BaseRecord({ [pk]: record.get(pk), [title]: record.get(title) }, this);
  }

  /** The record's params as its pages show them: the stored values and those worked out from them. */
  private shownParams(entity: object): Snapshot {
    const stored = this.snapshot(entity);
    return { ...stored, ...this.spec.shownValues?.(stored) };
  }

  private record(entity: object): BaseRecord {
    return new BaseRecord(this.shownParams(entity), this);
  }

  /** The record as AdminJS params: scalars, references as ids, many-to-many as a list of ids. */
  snapshot(entity: object): Snapshot {
    const source = entity as Dictionary;
    const params: Snapshot = {};
    for (const [name, property] of this.props) {
      if (this.spec.unsent?.includes(name)) continue;
      const prop: EntityProperty = property.meta;
      const value = source[name];
      if (prop.kind === ReferenceKind.SCALAR)
        params[name] =
          property.jsonText && value !== undefined && value !== null ? JSON.stringify(value) : value;
      else if (prop.kind === ReferenceKind.MANY_TO_MANY) {
        const collection = value as { isInitialized(): boolean; getItems(): object[] } | undefined;
        if (collection?.isInitialized()) params[name] = collection.getItems().map(primaryKeyOf);
      } else params[name] = primaryKeyOf(value);
    }
    return params;
  }

  /** What the audit diff compares: the snapshot without the id and automatic timestamps. */
  private audited(entity: object): Snapshot {
    const snapshot = this.snapshot(entity);
    delete snapshot[this.meta.primaryKeys[0]!];
    for (const field of this.spec.readOnly ?? []) delete snapshot[field];
    return snapshot;
  }

  /** Form params to entity data: only editable fields, each converted to what the entity holds. */
  private async toData(params: Record<string, unknown>, mode: 'create' | 'update'): Promise<Dictionary> {
    const input = flat.unflatten(params) as Dictionary;
    const data: Dictionary = {};
    for (const [name, property] of this.props) {
      if (!property.isEditable()) continue;
      const kind = property.meta.kind;
      const value = input[name];
      if (property.isArray() && kind === ReferenceKind.SCALAR) {
        if (value === undefined && mode === 'update') continue;
        data[name] = scalarListValues(value);
      } else if (value === undefined) {
        continue;
      } else if (kind === ReferenceKind.MANY_TO_MANY) {
        data[name] = referenceIds(value);
      } else if (kind !== ReferenceKind.SCALAR) {
        // An id that is not a number stays as is: checkReferences reports it next to the field.
        const id = referenceId(value);
        data[name] = value === null || value === '' ? null : Number.isSafeInteger(id) ? id : value;
      } else {
        data[name] = property.jsonText ? parseJsonText(name, value) : value;
      }
    }
    if (mode === 'create') this.applyDefaults(data);
    const extra = Object.fromEntries(
      (this.spec.virtualInputs ?? []).filter((key) => key in input).map((key) => [key, input[key]]),
    );
    return this.spec.prepare ? this.spec.prepare({ ...extra, ...data }, mode) : data;
  }

  /**
   * Fields left out of a create form take the column's default (stock 0, unpublished). The model's
   * validation hook runs before the INSERT, so it would otherwise see them as missing.
   */
  private applyDefaults(data: Dictionary): void {
    for (const [name, property] of this.props) {
      const fallback = property.meta.default;
      if (data[name] !== undefined || fallback === undefined || fallback === null || !property.isEditable())
        continue;
      const type = property.type();
      if (type === 'number') data[name] = Number(fallback);
      else if (type === 'boolean')
        data[name] = fallback === true || fallback === 1 || fallback === 'true' || fallback === '1';
      else if (type === 'string' || type === 'textarea') data[name] = String(fallback);
    }
  }

  /**
   * Runs a write and its audit entry in one transaction; database refusals become field errors. On
   * SQLite it takes the database's write lock before it reads: a save reads the row, then writes, and
   * SQLite fails that write at once (SQLITE_BUSY_SNAPSHOT, no busy wait) when another process (an
   * applier selling the product) committed in between.
   */
  private async write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const sqlite = !isPostgres(this.orm);
    try {
      return await this.em().transactional(async (em) => {
        if (sqlite) await takeSqliteWriteLock(em as unknown as Orm['em']);
        return work(em);
      });
    } catch (error) {
      const validation = toValidationError(error, { unique: this.spec.unique ?? {}, label: this.spec.label });
      if (validation) throw validation;
      throw error;
    }
  }

  private audit(
    em: EntityManager,
    context: ActionContext | undefined,
    action: string,
    id: unknown,
    diff: ReturnType<typeof fieldDiff>,
  ) {
    if (this.spec.audited === false) return;
    recordAudit(em, { actor: actorOf(context), action, model: this.spec.name, recordId: String(id), diff });
  }

  /**
   * The form was checked against the record as AdminJS read it, before this transaction; a change
   * that landed in between (an order cancelled through the API a moment before "Save") must not be
   * overwritten by a form that never showed it. The row is locked and read by now: its version must
   * still be the one the form sent back.
   */
  private refuseChangedSince(entity: object, params: Record<string, unknown>): void {
    const field = this.versionField;
    if (field === undefined || params[field] === undefined) return;
    const current = (entity as Dictionary)[field];
    if (timeOf(params[field]) === timeOf(current)) return;
    const when = current instanceof Date ? ` at ${current.toISOString()}` : '';
    const message =
      `This ${this.spec.label} was changed${when}, after this page was opened: nothing was saved. ` +
      'Reload the page to see that change, then make yours again.';
    throw new ValidationError({ [field]: { type: 'conflict', message } }, { type: 'conflict', message });
  }

  /**
   * The save against what its page showed (shown-values.ts), the row locked and read by now (`stored`,
   * its audited snapshot: every field a form writes): fields submitted as shown are dropped from
   * `data` (a change made meanwhile, a sale's stock, stands), and a field changed both in the form and
   * in the row, to different values, refuses the whole save.
   */
  private leaveUntouched(
    data: Dictionary,
    params: Record<string, unknown>,
    shown: ShownValues,
    stored: Snapshot,
  ) {
    const input = flat.unflatten(params) as Dictionary;
    const submitted = Object.fromEntries(
      Object.keys(data)
        .filter((field) => this.props.has(field) && field in input)
        .map((field) => [field, input[field]]),
    );
    const { untouched, conflicts } = mergeWithShown(submitted, shown, stored);
    const fields = Object.keys(conflicts);
    if (fields.length > 0) {
      const labels = fields.map((field) => this.fieldLabel(field).toLowerCase());
      const names =
        labels.length === 1 ? labels[0] : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
      const message =
        `Someone else changed this ${this.spec.label}'s ${names} after this page was opened: nothing was saved. ` +
        'Reload the page to see their change, then make yours again.';
      const errors = Object.fromEntries(
        Object.entries(conflicts).map(([field, { current, shown: was }]) => [
          field,
          {
            type: 'conflict',
            message: `Changed to ${quoted(current)} meanwhile (this page showed ${quoted(was)}).`,
          },
        ]),
      );
      throw new ValidationError(errors, { type: 'conflict', message });
    }
    for (const field of untouched) delete data[field];
  }

  /** The field's label as its form shows it ("Price" for priceCents), else one made from its name. */
  private fieldLabel(field: string): string {
    return this.decorate().getPropertyByKey(field)?.label() ?? humanize(field);
  }

  /** References must point at existing rows: say so next to the field rather than as a database error. */
  private async checkReferences(em: EntityManager, data: Dictionary): Promise<void> {
    const errors: Record<string, { type: string; message: string }> = {};
    for (const [name, property] of this.props) {
      const kind = property.meta.kind;
      const value = data[name];
      if (value === undefined || value === null || kind === ReferenceKind.SCALAR) continue;
      const ids = (Array.isArray(value) ? value : [value]) as unknown[];
      const target = property.meta.type;
      const targetPk = this.orm.getMetadata().get(target).primaryKeys[0]!;
      const valid = ids.every((id) => typeof id === 'number' && Number.isSafeInteger(id));
      const found =
        valid && ids.length > 0
          ? await em.count(target, { [targetPk]: { $in: ids } } as FilterQuery<object>)
          : 0;
      if (!valid || found !== new Set(ids).size)
        errors[name] = { type: 'reference', message: `Choose an existing ${target.toLowerCase()}.` };
    }
    if (Object.keys(errors).length > 0)
      throw new ValidationError(errors, { message: 'Please correct the errors below.', type: 'reference' });
  }

  override async create(params: Record<string, unknown>, context?: ActionContext): Promise<ParamsType> {
    return this.write(async (em) => {
      const data = await this.toData(params, 'create');
      await this.checkReferences(em, data);
      const entity = em.create(this.spec.name, data);
      await em.flush();
      const after = this.audited(entity);
      const diff = fieldDiff(null, after);
      if (data.passwordHash !== undefined) diff.password = { before: null, after: '(set)' };
      const pk = wrap(entity, true).getPrimaryKey();
      await this.spec.onWrite?.(em, { mode: 'create', id: pk, before: null, after, data });
      this.audit(em, context, 'create', pk, diff);
      await em.flush();
      return this.shownParams(entity);
    });
  }

  override async update(
    id: string | number,
    params: Record<string, unknown> = {},
    context?: ActionContext,
  ): Promise<ParamsType> {
    return this.write(async (em) => {
      await this.lockFirst(em, [id]);
      const entity = await this.load(em, id, { forUpdate: true });
      const shown = parseShown(params[SHOWN_PARAM]) ?? undefined;
      if (shown === undefined) this.refuseChangedSince(entity, params);
      const before = this.audited(entity);
      const data = await this.toData(params, 'update');
      if (shown !== undefined) this.leaveUntouched(data, params, shown, before);
      await this.checkReferences(em, data);
      em.assign(entity, data);
      await em.flush();
      const after = this.audited(entity);
      await this.spec.onWrite?.(em, {
        mode: 'update',
        id: wrap(entity, true).getPrimaryKey(),
        before,
        after,
        data,
      });
      const diff = fieldDiff(before, after);
      if (data.passwordHash !== undefined) diff.password = { before: HIDDEN_VALUE, after: '(changed)' };
      if (Object.keys(diff).length > 0) this.audit(em, context, 'update', id, diff);
      await em.flush();
      return this.shownParams(entity);
    });
  }

  override async delete(id: string | number, context?: ActionContext): Promise<void> {
    await this.deleteMany([id], context);
  }

  /**
   * Deletes several records in one transaction, one audit entry each: either all go or none does
   * (AdminJS's stock bulk delete ran one transaction per record, so a failure half-way left the rest
   * deleted).
   */
  async deleteMany(ids: ReadonlyArray<string | number>, context?: ActionContext): Promise<void> {
    await this.write(async (em) => {
      await this.lockFirst(em, ids);
      for (const id of ids) {
        const entity = await this.load(em, id, { forUpdate: true });
        const before = this.audited(entity);
        const pk = wrap(entity, true).getPrimaryKey();
        await this.spec.onWrite?.(em, { mode: 'delete', id: pk, before, after: null, data: {} });
        em.remove(entity);
        await em.flush();
        this.audit(em, context, 'delete', id, fieldDiff(before, null));
      }
      await em.flush();
    });
  }

  /** Sets the same fields on several records (bulk publish); one transaction, one entry per record. */
  async bulkUpdate(
    ids: Array<string | number>,
    changes: Dictionary,
    action: string,
    context?: ActionContext,
  ): Promise<number> {
    return this.write(async (em) => {
      let changed = 0;
      for (const id of ids) {
        const entity = await this.load(em, id);
        const before = this.audited(entity);
        em.assign(entity, changes);
        try {
          await em.flush();
        } catch (error) {
          // Which of the selected records was refused, and why (the whole selection is rolled back).
          throw refusedInBulk(error, { unique: this.spec.unique ?? {}, label: this.spec.label }, id);
        }
        const after = this.audited(entity);
        const pk = wrap(entity, true).getPrimaryKey();
        await this.spec.onWrite?.(em, { mode: 'update', id: pk, before, after, data: changes });
        const diff = fieldDiff(before, after);
        if (Object.keys(diff).length === 0) continue;
        this.audit(em, context, action, id, diff);
        changed += 1;
      }
      await em.flush();
      return changed;
    });
  }

  /** The spec's lockBeforeWrite for these records (ids that parse), before any of their own locks. */
  private async lockFirst(em: EntityManager, ids: ReadonlyArray<string | number>): Promise<void> {
    const pks = ids.map((id) => this.parseId(id)).filter((pk) => pk !== undefined);
    if (pks.length > 0) await this.spec.lockBeforeWrite?.(em, pks);
  }

  /**
   * The row by id. `forUpdate` (PostgreSQL): locked first (SELECT ... FOR UPDATE), then read, so the
   * read is the latest committed row and no other writer changes it before this transaction ends.
   * SQLite has one writer at a time, and refuses a write whose transaction read an older state.
   */
  private async load(
    em: EntityManager,
    id: string | number,
    { forUpdate = false }: { forUpdate?: boolean } = {},
  ): Promise<object> {
    const pk = this.parseId(id);
    if (forUpdate && pk !== undefined && isPostgres(this.orm))
      await em.lock(em.getReference(this.spec.name, pk as never), LockMode.PESSIMISTIC_WRITE);
    const entity =
      pk === undefined
        ? null
        : await em.findOne(this.spec.name, pk as FilterQuery<object>, {
            populate: this.manyToMany as never[],
          });
    if (!entity) throw new NotFoundError(`No ${this.spec.label} with id ${String(id)}.`, 'OrmResource');
    return entity;
  }
}

export { ValidationError };

/** A stored value in a message: quoted, shortened, "(empty)" for none. */
function quoted(text: string): string {
  if (text === '') return '(empty)';
  return `“${text.length > 60 ? `${text.slice(0, 59)}…` : text}”`;
}
