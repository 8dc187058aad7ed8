// A date (or date and time) picker that reads and writes UTC, in the admin's one date format
// (components/dates.jsx): "2026-12-01 23:44", typed or picked, is 2026-12-01T23:44Z whatever the
// browser's time zone. @adminjs/design-system's DatePicker (react-datepicker underneath) knows only the
// browser's local time: it shows a Date's local fields and hands back a Date built from local fields,
// so a staff member in Auckland who picked "10:00" stored 21:00 UTC the day before. Here it is given a
// "wall clock" Date whose local fields are the stored instant's UTC fields, and the Date it hands back
// is read by its local fields as UTC. A date without a time of day is a plain "2026-12-01" both ways,
// never an instant, so no zone moves it across midnight.
//
// Known limit: the one hour a year that the browser's own zone skips (its daylight-saving change) has
// no local Date, so a UTC time that falls in it (02:30 UTC on the day Auckland skips 02:00-03:00) is
// shown an hour late by the picker; the stored value is unchanged until the field is edited.
import React from 'react';
import { DatePicker } from '@adminjs/design-system';
import { styled } from '@adminjs/design-system/styled-components';

const pad = (n) => String(n).padStart(2, '0');
const digit = { regex: '\\d' };
const DAY_MASK = [digit, digit, digit, digit, '-', digit, digit, '-', digit, digit];

// No placeholder: the design system's DatePicker keeps placeholderText from react-datepicker, which
// then sets the input's placeholder to undefined; the labels say "(UTC)" instead, and the mask shows
// the format as soon as one types.
const FORMATS = {
  date: { dateFormat: 'yyyy-MM-dd', inputMask: { mask: DAY_MASK } },
  datetime: {
    dateFormat: 'yyyy-MM-dd HH:mm',
    inputMask: { mask: [...DAY_MASK, ' ', digit, digit, ':', digit, digit] },
  },
};

/** A local Date with these fields (setFullYear: the Date constructor reads years 0-99 as 19xx). */
const localDate = (year, month, day, hours = 0, minutes = 0, seconds = 0, ms = 0) => {
  const d = new Date(0);
  d.setFullYear(year, month, day);
  d.setHours(hours, minutes, seconds, ms);
  return d;
};

/** "2026-12-01" of a stored date-only value ("2026-12-01", "2026-12-01T00:00:00.000Z"), else undefined. */
const storedDay = (value) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(typeof value === 'string' ? value : '');
  return match ? [Number(match[1]), Number(match[2]) - 1, Number(match[3])] : undefined;
};

/**
 * The stored value as the Date the picker shows: its local fields are the value's UTC fields. A date
 * alone is that day at noon, local: no zone skips noon, so the day can never slide to its neighbour.
 */
export const toWallClock = (value, type) => {
  if (value === null || value === undefined || value === '') return null;
  if (type === 'date') {
    const day = storedDay(value);
    return day ? localDate(day[0], day[1], day[2], 12) : null;
  }
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  return localDate(
    d.getUTCFullYear(),
    d.getUTCMonth(),
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
};

/**
 * What the picker handed back (the ISO string of a wall-clock Date, or '' when cleared) as the value to
 * store: the UTC instant with the same fields ("2026-12-01T10:00:00.000Z"), or the day ("2026-12-01").
 */
export const fromWallClock = (picked, type) => {
  const w = picked ? new Date(picked) : undefined;
  if (!w || Number.isNaN(w.getTime())) return '';
  if (type === 'date') return `${w.getFullYear()}-${pad(w.getMonth() + 1)}-${pad(w.getDate())}`;
  const utc = new Date(0);
  utc.setUTCFullYear(w.getFullYear(), w.getMonth(), w.getDate());
  utc.setUTCHours(w.getHours(), w.getMinutes(), w.getSeconds(), w.getMilliseconds());
  return utc.toISOString();
};

// react-datepicker's screen-reader announcement ("Selected date: ...") is hidden by its own stylesheet,
// which the design system does not load: without this it pushed the input down after every pick.
const Announced = styled.div`
  & .react-datepicker__aria-live {
    position: absolute;
    clip-path: circle(0);
    border: 0;
    height: 1px;
    margin: -1px;
    overflow: hidden;
    padding: 0;
    width: 1px;
    white-space: nowrap;
  }
`;

/**
 * The picker: `value` as stored (an ISO instant, or a day for type 'date'), `onChange` gets the value
 * to store ('' when cleared). `id` ties it to its label.
 */
const UtcDatePicker = ({ id, value, type, onChange, disabled }) => {
  const kind = type === 'date' ? 'date' : 'datetime';
  return (
    <Announced>
      <DatePicker
        id={id}
        value={toWallClock(value, kind)}
        onChange={(picked) => onChange(fromWallClock(picked, kind))}
        propertyType={kind}
        disabled={disabled}
        {...FORMATS[kind]}
      />
    </Announced>
  );
};

export default UtcDatePicker;
