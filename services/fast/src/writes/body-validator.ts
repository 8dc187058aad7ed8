import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonSchema, WriteBodySchemas } from '@tandem/models';

/** A rejected body's messages: by field path (`lines.0.quantity`), or `_` for the body as a whole. */
export type FieldErrors = Readonly<Record<string, string>>;

/** At most this many field errors are reported: enough to fix a body, bounded for a hostile one. */
const MAX_ERRORS = 50;
/** A reported field path is cut here (a body may hold unknown keys of any length). */
const MAX_PATH = 100;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * One Ajv for every collection, made once at start-up. Strict about what validates (no type coercion,
 * no defaults filled in, formats checked); lenient about annotation keywords the OpenAPI document adds
 * (`example`, `x-*`), which Ajv's strict schema mode would refuse.
 */
function makeAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strictSchema: false,
    strictTypes: false,
    coerceTypes: false,
    useDefaults: false,
    validateFormats: true,
  });
  ajv.addFormat('date-time', (value: string) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));
  ajv.addFormat(
    'date',
    (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)),
  );
  return ajv;
}

/** `/lines/0/productId` (a JSON Pointer) as `lines.0.productId`; the root is `_`. */
function fieldPath(pointer: string, child?: string): string {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/');
  if (child !== undefined) segments.push(child);
  if (segments.length === 0) return '_';
  const path = segments.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
  return path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path;
}

/** One Ajv error as a field and a sentence a person can act on. */
function describe(error: ErrorObject, known: readonly string[]): [string, string] {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = fieldPath(error.instancePath, String(params.additionalProperty));
      const allowed = error.instancePath === '' && known.length > 0 ? ` (writable: ${known.join(', ')})` : '';
      return [field, `Unknown field: it cannot be written here${allowed}.`];
    }
    case 'required':
      return [fieldPath(error.instancePath, String(params.missingProperty)), 'This field is required.'];
    case 'minProperties':
      return [
        fieldPath(error.instancePath),
        `Send at least one field to change (writable: ${known.join(', ')}).`,
      ];
    case 'type':
      if (error.instancePath === '') return ['_', 'The body must be a JSON object.'];
      break;
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return [fieldPath(error.instancePath), `Must be one of ${allowed}.`];
    }
  }
  const message = error.message ?? 'is not valid';
  return [fieldPath(error.instancePath), `${message.charAt(0).toUpperCase()}${message.slice(1)}.`];
}

/**
 * The write bodies of one collection, validated against the JSON Schemas compiled once at start-up:
 * what is checked at the edge (types, required fields, lengths, enums, unknown fields) never reaches
 * the queue. Business rules (stock, state transitions) are the applier's, where the data is.
 */
export class WriteBodyValidator {
  private readonly create: ValidateFunction | undefined;
  private readonly update: ValidateFunction | undefined;
  private readonly createFields: readonly string[];
  private readonly updateFields: readonly string[];

  constructor(ajv: Ajv2020, schemas: WriteBodySchemas) {
    this.create = schemas.create && ajv.compile(schemas.create);
    this.update = schemas.update && ajv.compile(schemas.update);
    this.createFields = propertyNames(schemas.create);
    this.updateFields = propertyNames(schemas.update);
  }

  /** The body's errors, or undefined when it is valid for `op`. */
  check(op: 'create' | 'update', body: unknown): FieldErrors | undefined {
    const validate = op === 'create' ? this.create : this.update;
    if (!validate) return { _: `This collection does not accept ${op === 'create' ? 'POST' : 'PATCH'}.` };
    if (validate(body)) return undefined;
    const known = op === 'create' ? this.createFields : this.updateFields;
    // Built as entries: a field named "__proto__" stays a field (Object.fromEntries defines own properties).
    const entries = new Map<string, string>();
    for (const error of validate.errors ?? []) {
      const [field, message] = describe(error, known);
      if (!entries.has(field)) entries.set(field, message);
      if (entries.size >= MAX_ERRORS) break;
    }
    if (entries.size === 0) entries.set('_', 'The body is not valid.');
    return Object.fromEntries(entries);
  }
}

function propertyNames(schema: JsonSchema | undefined): readonly string[] {
  const properties = schema?.properties;
  return properties && typeof properties === 'object' ? Object.keys(properties) : [];
}

/** Compiles each collection's write schemas with one shared Ajv (at start-up, never per request). */
export function compileWriteValidators(
  schemas: ReadonlyMap<string, WriteBodySchemas>,
): ReadonlyMap<string, WriteBodyValidator> {
  const ajv = makeAjv();
  return new Map([...schemas].map(([collection, s]) => [collection, new WriteBodyValidator(ajv, s)]));
}
