// A money amount shown with its currency, "€1,999.00" (list and show). The model declares which
// property holds the currency (AdminDeclaration.money in @tandem/models, applied by
// src/resources/money.ts); the amount is stored in the currency's minor units (cents), and the
// currency's own number of decimals (2 for EUR, 0 for JPY) turns it into the amount.
import React from 'react';
import { ValueGroup } from '@adminjs/design-system';
import { useTranslation } from 'adminjs';

/** "€1,999.00", or the raw value with the code when the currency is not one Intl knows. */
export const formatMoney = (minor, currency) => {
  try {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency });
    const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(Number(minor) / 10 ** decimals);
  } catch {
    return `${minor} ${currency ?? ''}`.trim();
  }
};

const Money = ({ property, record, resource, where }) => {
  const { translateProperty } = useTranslation();
  const value = record.params[property.propertyPath];
  const currency = record.params[property.custom?.currencyProperty];
  const shown = value === undefined || value === null || value === '' ? '' : formatMoney(value, currency);
  if (where === 'list') return <span>{shown}</span>;
  return <ValueGroup label={translateProperty(property.label, resource.id)}>{shown}</ValueGroup>;
};

export default Money;
