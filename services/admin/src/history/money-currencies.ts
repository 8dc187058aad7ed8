import { registry, type FieldDiff } from '@tandem/models';

/** A money amount's currency before and after one change (ISO 4217 code; null when unknown). */
export interface ChangeCurrencies {
  readonly before: string | null;
  readonly after: string | null;
}

/** Per money field that one audit entry's diff holds: the currencies its amounts are in. */
export type EntryCurrencies = Record<string, ChangeCurrencies>;

/** The model's money declaration: amount property → where its currency is. */
const moneyOf = (model: string) => registry.find((entry) => entry.name === model)?.admin?.money ?? {};

/** Whether `model` declares money amounts (whose history then needs their currencies). */
export const declaresMoney = (model: string): boolean => Object.keys(moneyOf(model)).length > 0;

const currencyOf = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/**
 * The currencies of the money amounts in some audit entries of one record, so history can print
 * "€26.00" as the list and show pages do (the model's `money` declaration, formatted by
 * components/Money.jsx's formatMoney) instead of 2600. An update's diff lists only what changed, so an
 * amount changed alone is in the currency the record had at that time: walking from the newest entry
 * back, that is the record's current currency until an entry changed it, then that change's `before`.
 *
 * `diffs` are newest first and must start from the record's latest entry (or `current` may be stale);
 * `current` is the record as stored now (null once deleted). One entry per diff, in the same order.
 */
export function entryCurrencies(
  model: string,
  diffs: readonly FieldDiff[],
  current: Readonly<Record<string, unknown>> | null,
): EntryCurrencies[] {
  const money = Object.entries(moneyOf(model));
  // Per currency property: its value right after the entry being read (at first, the stored one).
  const known = new Map<string, string | null>(
    money.map(
      ([, { currencyProperty }]) => [currencyProperty, currencyOf(current?.[currencyProperty])] as const,
    ),
  );
  return diffs.map((diff) => {
    const currencies: EntryCurrencies = {};
    for (const [field, { currencyProperty }] of money) {
      if (!diff[field]) continue;
      const change = diff[currencyProperty];
      const unchanged = known.get(currencyProperty) ?? null;
      currencies[field] = change
        ? { before: currencyOf(change.before), after: currencyOf(change.after) }
        : { before: unchanged, after: unchanged };
    }
    // Step back past this entry: before it, a currency it changed was its `before`.
    for (const property of known.keys())
      if (diff[property]) known.set(property, currencyOf(diff[property].before));
    return currencies;
  });
}
