/**
 * Issue 16 item 3: money is formatted "from the model's declaration, not per resource by hand". Every
 * registered model that declares `admin.money` gets the Money component on its list and show pages,
 * with the currency property the declaration names, whether its page is hand-written (Product) or
 * derived (Order); no other property gets it; a declaration naming a property the entity lacks stops
 * start-up instead of printing raw cents.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PropertyOptions } from 'adminjs';
import { entities, openOrm, registry, type Orm } from '@tandem/models';
import { adminOptions } from '../src/admin-options.js';
import { createComponents } from '../src/components.js';
import { withMoney } from '../src/resources/money.js';

let orm: Orm;
before(async () => {
  orm = await openOrm(
    { dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' },
    { connect: false, entities },
  );
});
after(() => orm.close(true));

/** The options of each admin page by model name. */
function pages(components = createComponents()) {
  const byName = new Map<string, Record<string, PropertyOptions>>();
  for (const resource of adminOptions(orm, components).resources ?? []) {
    const { resource: entity, options } = resource as {
      resource: { meta?: { className: string } };
      options: { properties?: Record<string, PropertyOptions> };
    };
    if (entity.meta) byName.set(entity.meta.className, options.properties ?? {});
  }
  return { byName, components };
}

test('every declared money property, and only those, is shown by the Money component', () => {
  const { byName, components } = pages();
  const declared = registry.filter((model) => model.admin?.money);
  assert.deepEqual(
    declared.map((model) => model.name).sort(),
    ['Order', 'Product'],
    'the models of this repository that declare money',
  );
  for (const model of registry) {
    const properties = byName.get(model.name);
    if (!properties) continue;
    const money = model.admin?.money ?? {};
    for (const [name, options] of Object.entries(properties)) {
      const shownAsMoney =
        options.components?.list === components.Money || options.components?.show === components.Money;
      assert.equal(shownAsMoney, name in money, `${model.name}.${name}`);
    }
    for (const [name, { currencyProperty }] of Object.entries(money)) {
      const options: PropertyOptions | undefined = properties[name];
      assert.equal(options?.components?.list, components.Money, `${model.name}.${name} on the list`);
      assert.equal(options?.components?.show, components.Money, `${model.name}.${name} on the show page`);
      assert.equal(
        (options?.custom as { currencyProperty?: string } | undefined)?.currencyProperty,
        currencyProperty,
      );
    }
  }
});

test('a money declaration naming a property the entity lacks stops start-up, naming it', () => {
  const components = createComponents();
  const product = registry.find((model) => model.name === 'Product')!;
  const broken = {
    ...product,
    admin: { ...product.admin, money: { priceCents: { currencyProperty: 'curency' } } },
  };
  const resource = { resource: {}, options: {} };
  assert.throws(
    () => withMoney(resource as never, broken, orm, components),
    /Product: money property priceCents names curency, which the entity lacks/,
  );
});
