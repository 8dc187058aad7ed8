import importExportFeature from '@adminjs/import-export';
import type { ComponentLoader, FeatureType, ResourceOptions } from 'adminjs';

/**
 * CSV (and JSON/XML) export of a list, from @adminjs/import-export. Its import action is removed:
 * it reports success even when rows fail, and imported ids do not advance PostgreSQL sequences.
 */
export function csvExportFeature(componentLoader: ComponentLoader): FeatureType {
  const feature = importExportFeature({ componentLoader });
  return (admin, options) => {
    const merged: ResourceOptions = feature(admin, options);
    const actions = { ...(merged.actions ?? {}) } as Record<string, unknown>;
    delete actions.import;
    return { ...merged, actions: actions as ResourceOptions['actions'] };
  };
}
