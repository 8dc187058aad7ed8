// Show-page panel: the record's audit entries (newest first) with the field-level diff, readable:
// fields by their labels (the ones the forms show, "Price" rather than priceCents) and related records
// by name ("Garden tools" rather than 8). The data arrives in record.params.history (a JSON string set
// by the show action's after hook) and record.params.historyNames (names of the related records by
// field and id, src/history/record-names.ts). Money amounts read as the list and show pages print them,
// "€26.00" (each entry's `currencies`, src/history/money-currencies.ts; formatMoney of Money.jsx).
import React from 'react';
import { Box, Label, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
import { useTranslation } from 'adminjs';
import { formatMoney } from './Money.jsx';
import { formatDateTime } from './dates.jsx';

export const parseJson = (text, fallback) => {
  try {
    return text ? JSON.parse(text) : fallback;
  } catch {
    return fallback;
  }
};

/** A date field's value as the diff stores it (Date.toISOString()); other text never has its "Z". */
const STORED_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * One stored value as a person reads it: names for ids of related records, Yes/No, lists joined,
 * instants in the admin's one date format (components/dates.jsx).
 */
export const readableValue = (value, names) => {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value))
    return value.length === 0 ? '—' : value.map((item) => readableValue(item, names)).join(', ');
  if (names && (typeof value === 'number' || typeof value === 'string')) {
    const name = names[String(value)];
    // null: a record whose name this staff member may not be told (src/history/record-names.ts).
    if (name === null) return `#${value}`;
    return name === undefined ? `#${value} (no longer exists)` : name;
  }
  if (value === true) return 'Yes';
  if (value === false) return 'No';
  if (typeof value === 'string' && STORED_INSTANT.test(value)) return formatDateTime(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
};

/** One side of a money field's change: the amount in its currency, or as any other value without one. */
const readableSide = (value, names, currency) =>
  currency && (typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value)))
    ? formatMoney(value, currency)
    : readableValue(value, names);

/**
 * The diff of one audit entry of a `model` record as a Field / Before / After table; `currencies`
 * holds, per money field, the currency of its before and after amounts.
 */
export const DiffTable = ({ diff, model, names, currencies }) => {
  const { translateProperty } = useTranslation();
  return (
    <Table data-css="audit-diff" style={{ tableLayout: 'fixed', width: '100%' }}>
      <TableHead>
        <TableRow>
          <TableCell>Field</TableCell>
          <TableCell>Before</TableCell>
          <TableCell>After</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {Object.entries(diff || {}).map(([field, change]) => (
          <TableRow key={field} data-testid={`diff-${field}`}>
            <TableCell title={field}>{translateProperty(field, model)}</TableCell>
            {['before', 'after'].map((side) => (
              <TableCell key={side}>
                {readableSide(
                  change && change[side],
                  names && names[field],
                  currencies && currencies[field] && currencies[field][side],
                )}
              </TableCell>
            ))}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
};

const History = ({ record, resource }) => {
  const entries = parseJson(record.params.history, []);
  const names = parseJson(record.params.historyNames, {});
  return (
    <Box mb="xl" data-testid="history">
      <Label>History</Label>
      {entries.length === 0 ? <Text>No changes recorded yet.</Text> : null}
      {entries.map((entry) => (
        <Box key={entry.id} mb="lg" data-testid="history-entry">
          <Text mb="sm" data-testid="history-entry-heading">
            <strong>{entry.action}</strong> by {entry.actorEmail || 'unknown'} at{' '}
            {formatDateTime(entry.createdAt)}
          </Text>
          <DiffTable diff={entry.diff} model={resource.id} names={names} currencies={entry.currencies} />
        </Box>
      ))}
    </Box>
  );
};

export default History;
