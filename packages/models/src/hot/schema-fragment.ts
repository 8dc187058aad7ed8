import type { Ajv2020 } from 'ajv/dist/2020.js';
import { declaredSchemaAjv } from '../declared-schemas.js';
import type { JsonSchema } from '../json-schema.js';

let ajv: Ajv2020 | undefined;

/**
 * Why a declared schema fragment cannot be compiled (an invalid `pattern`, a `minimum` that is not a
 * number...), or undefined. Checked at start-up: otherwise the first save of the entity failed on it
 * (an admin 500), or fast's start-up stopped with Ajv's error, naming no declaration.
 */
export function fragmentProblem(fragment: JsonSchema): string | undefined {
  ajv ??= declaredSchemaAjv();
  try {
    ajv.compile(fragment);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    // Checked, not kept: a later check of another copy holding the same $id must not collide.
    if (typeof fragment === 'object' && fragment !== null) ajv.removeSchema(fragment);
  }
}
