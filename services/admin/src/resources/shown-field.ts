import type { PropertyOptions } from 'adminjs';
import type { Snapshot } from '../orm/audit.js';
import type { ResourceDeps } from './common.js';

/** A field a model's pages show that no column holds, worked out from the stored values when read. */
export interface ShownField {
  readonly name: string;
  readonly label: string;
  /** Shown after this field. */
  readonly after: string;
  readonly property: PropertyOptions;
  /** The field's value from the stored ones; undefined when the field is not shown with these deps. */
  readonly valuesWith: (deps: ResourceDeps) => ((stored: Snapshot) => Snapshot) | undefined;
}
