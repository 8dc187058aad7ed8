import { ReferenceKind, type EntityMetadata, type EntityProperty } from '@mikro-orm/core';
import type { PropertyOptions, ResourceOptions, ResourceWithOptions } from 'adminjs';
import {
  columnKind,
  fieldChoices,
  type AdminDeclaration,
  type ModelDeclaration,
  type Orm,
} from '@tandem/models';
import type { Snapshot } from '../orm/audit.js';
import type { OrmResourceSpec } from '../orm/resource.js';
import { humanize, plural } from '../labels.js';
import { SEARCH_FIELD } from '../orm/where.js';
import { WRITE_ACTIONS, modelAdmin, type ResourceDeps } from './common.js';
import { orderHoldEnd } from './order-hold-end.js';
import type { ShownField } from './shown-field.js';
import { orderStock } from './order-stock.js';

/** Strings up to this length are searched by the Search box; longer ones (and text) are not. */
const SHORT_STRING = 255;
/** The list shows at most this many columns by default. */
const LIST_COLUMNS = 8;

const SHOWN_KINDS: readonly ReferenceKind[] = [
  ReferenceKind.SCALAR,
  ReferenceKind.MANY_TO_ONE,
  ReferenceKind.ONE_TO_ONE,
  ReferenceKind.MANY_TO_MANY,
];

// Labels from names live in ../labels.ts (the delete check and the role matrix use them too).
export { humanize, plural } from '../labels.js';

const isEnum = (prop: EntityProperty) => Boolean(prop.enum) && Array.isArray(prop.items);
const isText = (prop: EntityProperty) => String(prop.type).toLowerCase() === 'text';
const isJson = (prop: EntityProperty) =>
  prop.kind === ReferenceKind.SCALAR && /json/i.test(String(prop.type));
/** Filled by the ORM (createdAt, updatedAt) or the database: never typed into a form. */
const isGenerated = (prop: EntityProperty) => Boolean(prop.primary || prop.onCreate || prop.onUpdate);
/**
 * A short text column, which the list's search box covers. A date, time or decimal is a string to
 * MikroORM too, but not text to the database: PostgreSQL has no lower(date), so searching one was a 500.
 */
const isShortString = (prop: EntityProperty) =>
  prop.kind === ReferenceKind.SCALAR &&
  prop.runtimeType === 'string' &&
  columnKind(prop) === undefined &&
  !isText(prop) &&
  !isEnum(prop) &&
  !prop.primary &&
  (prop.length ?? SHORT_STRING) <= SHORT_STRING;

/**
 * The values a column may take (fieldChoices), with the declaration's schema of the hot field that
 * exposes it.
 */
function choicesOf(prop: EntityProperty, model: ModelDeclaration): string[] | undefined {
  const field = Object.entries(model.hot?.fields ?? {}).find(([, property]) => property === prop.name)?.[0];
  return fieldChoices(prop, field === undefined ? undefined : model.hot?.schema?.[field]);
}

/** A model's admin as the ORM metadata suggests it, with the declaration's keys put over the defaults. */
export interface DerivedAdmin {
  readonly spec: OrmResourceSpec;
  readonly options: ResourceOptions;
  /** Field labels, for the admin's translations. */
  readonly propertyLabels: Readonly<Record<string, string>>;
  /** The sidebar label. */
  readonly label: string;
}

/**
 * Derives an admin page from the metadata: every column in the form except the id and the timestamps
 * (read-only), list columns, the Search box over short strings, filters for booleans, enums, calendar
 * dates (a day range) and relations (relations get AdminJS's autocomplete, answered by the multi-column search action),
 * labels from names. Pure, so what a new model gets can be tested without a browser.
 */
export function deriveAdmin(meta: EntityMetadata, model: ModelDeclaration): DerivedAdmin {
  const declared: AdminDeclaration = model.admin ?? {};
  const props = meta.props.filter((prop) => SHOWN_KINDS.includes(prop.kind) && !prop.hidden && !prop.lazy);
  const pk = meta.primaryKeys[0] ?? 'id';
  // A view-only model (written by the system, e.g. the write queue's outcomes): no field is writable.
  const viewOnly = declared.viewOnly === true;
  const readOnly = viewOnly
    ? props.map((prop) => prop.name)
    : // The declaration's read-only fields come besides the id and the timestamps (AdminDeclaration).
      [...props.filter(isGenerated).map((prop) => prop.name), ...(declared.readOnly ?? [])];
  const searchable = props.filter(isShortString).map((prop) => prop.name);
  const searchFields = declared.searchFields ?? (searchable.length > 0 ? searchable : [pk]);
  const stringLists = declared.stringLists ?? [];
  const listed = props.filter(
    (prop) =>
      prop.kind !== ReferenceKind.MANY_TO_MANY &&
      !isText(prop) &&
      (!isJson(prop) || stringLists.includes(prop.name)),
  );
  const editable = props
    .filter((prop) => !prop.primary && !readOnly.includes(prop.name))
    .map((prop) => prop.name);
  const filters = props
    .filter(
      (prop) =>
        prop.runtimeType === 'boolean' ||
        columnKind(prop) === 'date' ||
        choicesOf(prop, model) !== undefined ||
        prop.kind === ReferenceKind.MANY_TO_ONE ||
        prop.kind === ReferenceKind.ONE_TO_ONE,
    )
    .map((prop) => prop.name);
  const titleProperty = declared.titleProperty ?? searchFields.find((field) => field !== pk) ?? pk;

  const properties: Record<string, PropertyOptions> = {};
  const set = (name: string, options: PropertyOptions) => {
    properties[name] = { ...properties[name], ...options };
  };
  for (const prop of props) {
    const values = choicesOf(prop, model);
    if (values) set(prop.name, { availableValues: values.map((value) => ({ value, label: value })) });
  }
  for (const name of stringLists) set(name, { type: 'string', isArray: true });
  for (const [name, description] of Object.entries(declared.descriptions ?? {})) set(name, { description });

  const shownLast = [...readOnly.filter((name) => name !== pk)];
  const spec: OrmResourceSpec = {
    name: model.name,
    label: humanize(model.name).toLowerCase(),
    searchFields,
    stringLists,
    // Other JSON columns (an order's lines) are shown and edited as JSON text.
    jsonText: props
      .filter((prop) => isJson(prop) && !stringLists.includes(prop.name))
      .map((prop) => prop.name),
    readOnly,
    unique: Object.fromEntries(
      props
        .filter((prop) => prop.unique === true)
        .map((prop) => [prop.name, prop.fieldNames[0] ?? prop.name]),
    ),
    // Newest first, as Django's changelist orders a model without `ordering` (by -pk).
    defaultSort: declared.defaultSort ?? { sortBy: pk, direction: 'desc' },
    // Staff never change a view-only record, so it has no history of staff changes to show.
    ...(viewOnly && { audited: false }),
  };
  const options: ResourceOptions = {
    navigation: { name: declared.navigation ?? 'Models', icon: declared.icon ?? 'Database' },
    titleProperty,
    listProperties: [...(declared.listProperties ?? listed.slice(0, LIST_COLUMNS).map((prop) => prop.name))],
    filterProperties: [...(declared.filterProperties ?? [SEARCH_FIELD, ...filters])],
    editProperties: viewOnly ? [] : [...(declared.editProperties ?? editable)],
    showProperties: [
      ...(declared.showProperties ?? [
        pk,
        ...editable,
        ...shownLast.filter((n) => !editable.includes(n)),
        ...(viewOnly ? [] : ['history']),
      ]),
    ],
    properties,
  };
  const shownField = SHOWN_FIELDS[model.name];
  const propertyLabels = {
    ...Object.fromEntries(props.map((prop) => [prop.name, prop.name === pk ? 'ID' : humanize(prop.name)])),
    ...(shownField && { [shownField.name]: shownField.label }),
    ...declared.propertyLabels,
  };
  return { spec, options, propertyLabels, label: declared.label ?? plural(humanize(model.name)) };
}

/** Beyond its columns, what a model's page shows, worked out from them when a record is read. */
const SHOWN_FIELDS: Readonly<Record<string, ShownField>> = { Order: orderHoldEnd };

/** `options` with `field` declared and shown after its anchor, and the spec computing it. */
function withShownField(
  spec: OrmResourceSpec,
  options: ResourceOptions,
  field: ShownField,
  values: (stored: Snapshot) => Snapshot,
): { spec: OrmResourceSpec; options: ResourceOptions } {
  const shown = (options.showProperties ?? []).filter((name) => name !== field.name);
  const at = shown.indexOf(field.after);
  shown.splice(at === -1 ? shown.length : at + 1, 0, field.name);
  return {
    spec: { ...spec, shownValues: values },
    options: {
      ...options,
      showProperties: shown,
      properties: { ...options.properties, [field.name]: field.property },
    },
  };
}

/** What a derived page's writes do beyond the row, by model: the domain rules staff edits must keep. */
const WRITE_CONSEQUENCES: Readonly<
  Record<string, (orm: Orm) => Pick<OrmResourceSpec, 'lockBeforeWrite' | 'onWrite'>>
> = { Order: orderStock };

/**
 * The admin page of a registered model that has no hand-written resource. A view-only model's write
 * actions (new, edit, delete, bulk delete) are refused and hidden whatever a role grants.
 */
export function registryResource(deps: ResourceDeps, model: ModelDeclaration): ResourceWithOptions {
  const derived = deriveAdmin(deps.orm.getMetadata().get(model.name), model);
  const shownField = SHOWN_FIELDS[model.name];
  const values = shownField?.valuesWith(deps);
  const { spec, options } =
    shownField && values ? withShownField(derived.spec, derived.options, shownField, values) : derived;
  const refused = model.admin?.viewOnly === true ? WRITE_ACTIONS : [];
  const consequences = WRITE_CONSEQUENCES[model.name]?.(deps.orm);
  return modelAdmin(deps, { ...spec, ...consequences }, model.permissionModel ?? model.name.toLowerCase(), {
    ...options,
    refused,
  });
}
