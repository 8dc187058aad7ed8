// The one date format of the whole admin: "2026-12-01 23:44 UTC" (a date alone: "2026-12-01"). Lists,
// show pages, the history panel, the audit log and the dashboard's recent actions all print times
// through formatDateTime, so one instant reads the same everywhere. Always in UTC, and saying so: staff
// in different time zones then read (and quote to each other) the same text, which is also what the
// services' logs and the exports (ISO 8601, Z) hold; the browser's own zone would make two staff
// members see two different times for one change.
import React from 'react';

const pad = (n) => String(n).padStart(2, '0');

/** "2026-12-01" of a Date, in UTC. */
const utcDay = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** The stored value (an ISO string, a Date or epoch ms) as a Date, or undefined when it is none. */
const toDate = (value) => {
  if (value === null || value === undefined || value === '') return undefined;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/** "2026-12-01 23:44 UTC"; a value that is not a date comes back as text, nothing as ''. */
export const formatDateTime = (value) => {
  const d = toDate(value);
  if (!d) return value === null || value === undefined ? '' : String(value);
  return `${utcDay(d)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
};

/** "2026-12-01": a date column (no time of day) is stored as midnight and printed as that day. */
export const formatDate = (value) => {
  const d = toDate(value);
  if (!d) return value === null || value === undefined ? '' : String(value);
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : utcDay(d);
};

/** A time element: the readable text, the exact instant (with seconds) for machines and on hover. */
export const DateTime = ({ value, type = 'datetime' }) => {
  const d = toDate(value);
  if (!d) return <span>{formatDateTime(value)}</span>;
  const text = type === 'date' ? formatDate(value) : formatDateTime(value);
  return (
    <time dateTime={d.toISOString()} title={d.toISOString()}>
      {text}
    </time>
  );
};
