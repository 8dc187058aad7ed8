// A role's permissions as a matrix: one row per model, one checkbox per Django permission (view, add,
// change, delete), instead of picking codenames one at a time from a dropdown. The form still sends
// the list of codenames (permissions.0, permissions.1, ...), so the server's rules apply unchanged: a
// staff member who is not a superuser may only add permissions they hold (src/resources/grant-only-held.ts);
// the boxes they may not tick are disabled here, and the server refuses them anyway. The rows and
// columns come from the registry (property.custom, set in src/resources/role.ts), followed by one box
// per site permission (view_metrics...). A codename the page shows no box for (granted by
// `tandem createrole`, say) is kept as it is: ticking a box must never drop another permission.
// Also the show page.
import React, { useState } from 'react';
import { Box, FormGroup, Label, Text } from '@adminjs/design-system';
import { flat, useCurrentAdmin, useTranslation } from 'adminjs';

const ACTION_LABELS = { view: 'View', add: 'Add', change: 'Change', delete: 'Delete' };

const cell = { padding: '4px 12px', textAlign: 'center' };

const PermissionMatrix = ({ property, record, resource, onChange, where }) => {
  const [currentAdmin] = useCurrentAdmin();
  const { translateProperty } = useTranslation();
  const { models = [], actions = [], site = [] } = property.custom || {};
  const chosen = new Set(flat.get(record.params, property.path) || []);
  const editing = where === 'edit';
  const held = new Set((currentAdmin && currentAdmin.permissions) || []);
  const superuser = Boolean(currentAdmin && currentAdmin.isSuperuser);
  // What the role had when the page opened may stay or go even if the editor does not hold it.
  const [had] = useState(() => new Set(record.id ? flat.get(record.params, property.path) || [] : []));
  const mayTick = (codename) => superuser || held.has(codename) || had.has(codename);
  const toggle = (codename) => {
    const next = new Set(chosen);
    if (next.has(codename)) next.delete(codename);
    else next.add(codename);
    // Registry order, so the stored list reads the same however it was ticked; then the site
    // permissions, then whatever has no box, in its old order.
    const shown = [
      ...models.flatMap((m) => actions.map((a) => `${a}_${m.model}`)),
      ...site.map((p) => p.codename),
    ];
    const shownSet = new Set(shown);
    const ordered = [...shown.filter((c) => next.has(c)), ...[...next].filter((c) => !shownSet.has(c))];
    onChange(property.path, ordered);
  };
  // One permission's checkbox, in the matrix and in the site permissions' rows alike.
  const box = (codename, extra = {}) => {
    const allowed = mayTick(codename);
    return (
      <input
        type="checkbox"
        id={`permission-${codename}`}
        data-codename={codename}
        title={allowed ? codename : `${codename}: you do not hold this permission`}
        checked={chosen.has(codename)}
        disabled={!editing || !allowed}
        onChange={() => toggle(codename)}
        {...extra}
      />
    );
  };
  const error = record.errors && record.errors[property.path];
  return (
    <FormGroup error={Boolean(error)} data-testid="permission-matrix">
      <Label id="permission-matrix-label">{translateProperty(property.label, resource.id)}</Label>
      <Box as="table" aria-labelledby="permission-matrix-label" style={{ borderCollapse: 'collapse' }}>
        <thead>
          <tr>
            <th scope="col" style={{ ...cell, textAlign: 'left' }}>
              Model
            </th>
            {actions.map((action) => (
              <th scope="col" key={action} style={cell}>
                {ACTION_LABELS[action] || action}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {models.map(({ model, label }) => (
            <tr key={model}>
              <th scope="row" style={{ ...cell, textAlign: 'left', fontWeight: 'normal' }}>
                {label}
              </th>
              {actions.map((action) => {
                const codename = `${action}_${model}`;
                return (
                  <td key={codename} style={cell}>
                    {box(codename, { 'aria-label': `${ACTION_LABELS[action] || action} ${label}` })}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </Box>
      {site.map(({ codename, description }) => (
        <Box key={codename} mt="sm">
          {box(codename)} <label htmlFor={`permission-${codename}`}>{description}</label>
        </Box>
      ))}
      {editing && !superuser ? (
        <Text variant="sm" mt="sm">
          Greyed-out boxes are permissions you do not hold: only a superuser can give them.
        </Text>
      ) : null}
      {error ? (
        <Text variant="sm" color="error" mt="sm" role="alert">
          {error.message}
        </Text>
      ) : null}
    </FormGroup>
  );
};

export default PermissionMatrix;
