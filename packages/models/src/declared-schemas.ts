import type { EntityMetadata, EventArgs, EventSubscriber } from '@mikro-orm/core';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { ModelDeclaration } from './model.js';
import { ModelValidationError, type FieldErrors } from './validation.js';

/** A declared field's check: its property, and the schema fragment compiled. */
interface DeclaredCheck {
  readonly property: string;
  /** A JSON column: an update's change set holds its value as JSON text already. */
  readonly json: boolean;
  readonly validate: ValidateFunction;
}

/**
 * How a declaration's schema fragments are compiled: on every save here, and once at start-up by
 * `checkHotProjections`, which refuses a fragment this cannot compile before anything is saved.
 */
export const declaredSchemaAjv = (): Ajv2020 =>
  new Ajv2020({ allErrors: false, strict: false, validateFormats: false });

/**
 * A hot declaration's `schema` (a pattern, a minimum, an enum...) describes the served field, and the
 * OpenAPI document publishes it; the fields are served as stored. So it holds for what is stored too:
 * refused before any SQL, as field errors, however the entity is saved (the admin, a write through
 * the fast service; bulk inserts that bypass the ORM's events, such as `tandem seed`'s, are not
 * checked). Without it, `opensAt: { pattern: "^[0-2][0-9]:[0-5][0-9]$" }` was published while the
 * admin stored "9am", and fast served it, breaking its own schema.
 */
export class DeclaredSchemas implements EventSubscriber {
  private readonly ajv = declaredSchemaAjv();
  private readonly byEntity = new Map<string, readonly DeclaredCheck[]>();

  constructor(private readonly models: readonly ModelDeclaration[]) {}

  beforeCreate({ meta, entity }: EventArgs<object>): void {
    this.refuse(meta, entity as Record<string, unknown>, false);
  }

  beforeUpdate({ meta, changeSet }: EventArgs<object>): void {
    // An update writes only what changed: a stored value is not refused again for a later edit.
    if (changeSet) this.refuse(meta, changeSet.payload as Record<string, unknown>, true);
  }

  /** The checks of an entity's declared fields, compiled once per entity. */
  private checksOf(meta: EntityMetadata): readonly DeclaredCheck[] {
    let checks = this.byEntity.get(meta.className);
    if (checks === undefined) {
      const hot = this.models.find((model) => model.name === meta.className)?.hot;
      checks = Object.entries(hot?.schema ?? {}).flatMap(([field, schema]) => {
        const property = hot!.fields[field];
        // A reference is served as its target's id, which the ORM checks; only scalars and JSON here.
        const prop = property === undefined ? undefined : meta.properties[property];
        if (prop === undefined || prop.kind !== 'scalar') return [];
        return [
          {
            property: prop.name,
            json: /json/i.test(String(prop.type)),
            validate: this.ajv.compile({ ...schema }),
          },
        ];
      });
      this.byEntity.set(meta.className, checks);
    }
    return checks;
  }

  private refuse(meta: EntityMetadata, values: Record<string, unknown>, changeSet: boolean): void {
    const errors: FieldErrors = {};
    for (const { property, json, validate } of this.checksOf(meta)) {
      const stored = values[property];
      // Left out: the column's default (or, on update, unchanged).
      if (stored === undefined) continue;
      const value =
        json && changeSet && typeof stored === 'string'
          ? JSON.parse(stored)
          : stored instanceof Date
            ? stored.toISOString()
            : stored;
      if (validate(value)) continue;
      const [error] = validate.errors ?? [];
      const where = error?.instancePath ? `${error.instancePath.slice(1)} ` : '';
      const message = `${where}${error?.message ?? 'is not valid'}`;
      errors[property] = `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;
    }
    if (Object.keys(errors).length > 0) throw new ModelValidationError(errors);
  }
}
