// A date range in the filter drawer (overrides AdminJS's DefaultDatetimeFilterProperty, whose pickers
// read the browser's local time): from and to in UTC, saying so (components/UtcDatePicker.jsx). Both
// ends are inclusive of what the picker shows: "to 12:00" keeps the rows of 12:00:59 (it is stored as
// the minute's last millisecond, which still reads 12:00), as a day-only "to" keeps its whole day.
import React from 'react';
import { FormGroup, Label } from '@adminjs/design-system';
import { PropertyLabel } from 'adminjs';
import UtcDatePicker from './UtcDatePicker.jsx';
import { RANGE_SEPARATOR } from './list-params.jsx';

/** A picked instant widened to its whole minute: the first millisecond for from, the last for to. */
const wholeMinute = (value, end) => {
  const d = new Date(value);
  if (value === '' || Number.isNaN(d.getTime())) return value;
  d.setUTCSeconds(end ? 59 : 0, end ? 999 : 0);
  return d.toISOString();
};

const DateTimeFilter = ({ property, filter, onChange }) => {
  const type = property.type === 'date' ? 'date' : 'datetime';
  const zone = type === 'date' ? '' : ' (UTC)';
  const ends = [
    ['from', 'From'],
    ['to', 'To'],
  ];
  return (
    <FormGroup variant="filter">
      <PropertyLabel property={property} filter />
      {ends.map(([end, text]) => {
        const key = `${property.path}${RANGE_SEPARATOR}${end}`;
        const id = `filter-${property.path}-${end}`;
        return (
          <React.Fragment key={end}>
            <Label htmlFor={id} mt={end === 'to' ? 'default' : undefined}>
              {`${text}${zone}`}
            </Label>
            <UtcDatePicker
              id={id}
              type={type}
              value={filter[key]}
              onChange={(value) => onChange(key, type === 'date' ? value : wholeMinute(value, end === 'to'))}
            />
          </React.Fragment>
        );
      })}
    </FormGroup>
  );
};

export default DateTimeFilter;
