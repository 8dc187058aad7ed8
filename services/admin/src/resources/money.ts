import type { PropertyOptions, ResourceWithOptions } from 'adminjs';
import type { ModelDeclaration, Orm } from '@tandem/models';
import type { Components } from '../components.js';

/**
 * A model's declared money properties (AdminDeclaration.money, e.g. Product's priceCents in its
 * `currency`) shown as "€19.99" on the list and show pages (components/Money.jsx), whether the page is
 * hand-written or derived: declared once on the model, never per resource. Forms keep the integer.
 */
export function withMoney(
  resource: ResourceWithOptions,
  model: ModelDeclaration,
  orm: Orm,
  components: Components,
): ResourceWithOptions {
  const money = Object.entries(model.admin?.money ?? {});
  if (money.length === 0) return resource;
  const meta = orm.getMetadata().get(model.name);
  const properties: Record<string, PropertyOptions> = { ...resource.options.properties };
  for (const [name, { currencyProperty }] of money) {
    for (const needed of [name, currencyProperty])
      if (!meta.properties[needed as keyof typeof meta.properties])
        throw new Error(`${model.name}: money property ${name} names ${needed}, which the entity lacks`);
    const own = properties[name] ?? {};
    properties[name] = {
      ...own,
      components: { ...own.components, list: components.Money, show: components.Money },
      custom: { ...own.custom, currencyProperty },
    };
  }
  return { ...resource, options: { ...resource.options, properties } };
}
