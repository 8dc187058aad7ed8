import importExportFeature from '@adminjs/import-export';
import type { ActionHandler, ActionResponse, ComponentLoader, FeatureType, ResourceOptions } from 'adminjs';
import { formatters, parse } from 'json2csv';

/** Cells a spreadsheet would read as a formula (OWASP "CSV injection"): = + - @ tab and CR first. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell that a spreadsheet shows as text: a leading quote before anything formula-like. */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

const quoted = formatters.string();
const csvCell = (value: string) => quoted(neutraliseCell(value));

/**
 * The CSV export wrapped so that a product named `=HYPERLINK("http://x","y")` is exported as text,
 * not as a formula that runs when staff open the file. The records are the ones the JSON export
 * gives (the same query); only the CSV writing differs from @adminjs/import-export's.
 */
function neutralisedCsv(
  handlers: ActionHandler<ActionResponse> | Array<ActionHandler<ActionResponse>>,
): ActionHandler<ActionResponse> {
  // buildFeature hands the handler over as a list (run in turn, the last answer wins), as AdminJS does.
  const original: ActionHandler<ActionResponse> = async (request, response, context) => {
    let answer: ActionResponse = {};
    for (const handler of Array.isArray(handlers) ? handlers : [handlers])
      answer = await handler(request, response, context);
    return answer;
  };
  return async (request, response, context) => {
    if ((request.query?.type ?? 'json') !== 'csv') return original(request, response, context);
    const asJson = await original(
      { ...request, query: { ...request.query, type: 'json' } },
      response,
      context,
    );
    if (typeof asJson?.exportedData !== 'string') return asJson;
    const rows = JSON.parse(asJson.exportedData) as Array<Record<string, unknown>>;
    return { ...asJson, exportedData: parse(rows, { formatters: { string: csvCell } }) };
  };
}

/**
 * CSV (and JSON/XML) export of a list, from @adminjs/import-export. Its import action is removed:
 * it reports success even when rows fail, and imported ids do not advance PostgreSQL sequences.
 */
export function csvExportFeature(componentLoader: ComponentLoader): FeatureType {
  const feature = importExportFeature({ componentLoader });
  return (admin, options) => {
    const merged: ResourceOptions = feature(admin, options);
    const actions = { ...(merged.actions ?? {}) } as Record<string, { handler?: unknown }>;
    delete actions.import;
    const exportAction = actions.export;
    if (exportAction?.handler)
      actions.export = {
        ...exportAction,
        handler: neutralisedCsv(exportAction.handler as Parameters<typeof neutralisedCsv>[0]),
      };
    return { ...merged, actions: actions as ResourceOptions['actions'] };
  };
}
