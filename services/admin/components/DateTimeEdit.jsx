// A date or date-and-time field of an edit form (overrides AdminJS's DefaultDatetimeEditProperty,
// whose picker read and wrote the browser's local time): typed and picked in UTC, saying so
// (components/UtcDatePicker.jsx), with the field's error under it as AdminJS shows it.
import React from 'react';
import { FormGroup, FormMessage, Label } from '@adminjs/design-system';
import { PropertyDescription, useTranslation } from 'adminjs';
import UtcDatePicker from './UtcDatePicker.jsx';

const DateTimeEdit = ({ property, record, onChange }) => {
  const { tm, translateProperty } = useTranslation();
  const error = record.errors?.[property.path];
  const type = property.type === 'date' ? 'date' : 'datetime';
  return (
    <FormGroup error={Boolean(error)}>
      {!property.hideLabel && (
        // AdminJS's PropertyLabel, with the zone the value is typed in.
        <Label htmlFor={property.path} required={property.isRequired}>
          {translateProperty(property.label, property.resourceId)}
          {type === 'datetime' && ' (UTC)'}
          {property.description && <PropertyDescription property={property} />}
        </Label>
      )}
      <UtcDatePicker
        id={property.path}
        type={type}
        value={record.params?.[property.path]}
        disabled={property.isDisabled}
        onChange={(value) => onChange(property.path, value)}
      />
      <FormMessage>{error && tm(error.message, property.resourceId)}</FormMessage>
    </FormGroup>
  );
};

export default DateTimeEdit;
