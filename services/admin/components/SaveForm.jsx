// The new and edit forms with Django's three ways to save (replaces AdminJS's New/Edit, which have one):
// "Save" goes back to the list (as the staff member left it, see src/actions/list-memory.ts),
// "Save and continue editing" opens the saved record's edit form, "Save and add another" an empty
// form. A form with errors stays where it is, whichever was pressed.
import React, { useEffect } from 'react';
import { useNavigate } from 'react-router';
import { Box, Button, DrawerContent, DrawerFooter } from '@adminjs/design-system';
import { BasePropertyComponent, ViewHelpers, useRecord } from 'adminjs';

// A new record starts with the model's defaults (property.custom.defaultValue, from the ORM metadata:
// src/resources/common.ts), so the form shows what saving it untouched stores: a new user is active.
const blank = (resource) => ({
  params: Object.fromEntries(
    resource.editProperties
      .filter((property) => property.custom && property.custom.defaultValue !== undefined)
      .map((property) => [property.propertyPath, property.custom.defaultValue]),
  ),
  populated: {},
  errors: {},
});

const withRefresh = (url) => `${url}${url.includes('?') ? '&' : '?'}refresh=true`;

// After a refused save, the first field (in form order) with an error is scrolled to and focused, so an
// error below the fold is not missed.
const showFirstError = (resource, errors) => {
  const first = resource.editProperties.find((property) =>
    Object.keys(errors).some(
      (key) => key === property.propertyPath || key.startsWith(`${property.propertyPath}.`),
    ),
  );
  if (!first) return;
  const field = document.querySelector(`[data-testid="property-edit-${first.propertyPath}"]`);
  if (!field) return;
  field.scrollIntoView({ block: 'center' });
  const input = field.querySelector('input:not([type="hidden"]):not([disabled]), select, textarea');
  if (input) input.focus({ preventScroll: true });
};

const SaveForm = ({ record: initialRecord, resource, action }) => {
  const { record, handleChange, submit, loading, setRecord } = useRecord(
    initialRecord ?? blank(resource),
    resource.id,
  );
  const navigate = useNavigate();
  const h = new ViewHelpers();

  useEffect(() => {
    if (initialRecord) setRecord(initialRecord);
  }, [initialRecord]);

  const onSubmit = (event) => {
    event.preventDefault();
    const after = event.nativeEvent?.submitter?.value ?? 'list';
    submit().then((response) => {
      const saved = response.data.record;
      const errors = saved?.errors ?? {};
      if (Object.keys(errors).length > 0)
        window.requestAnimationFrame(() => showFirstError(resource, errors));
      if (!saved?.id || Object.keys(errors).length > 0) return;
      if (after === 'continue') navigate(withRefresh(h.editUrl(resource.id, saved.id)));
      else if (after === 'another') {
        setRecord(blank(resource));
        navigate(withRefresh(h.resourceActionUrl({ resourceId: resource.id, actionName: 'new' })));
      } else if (response.data.redirectUrl) navigate(withRefresh(response.data.redirectUrl));
    });
    return false;
  };

  return (
    <Box
      as="form"
      onSubmit={onSubmit}
      flex
      flexDirection="column"
      data-css={`${resource.id}-${action.name}-form`}
    >
      <DrawerContent>
        {resource.editProperties.map((property) => (
          <BasePropertyComponent
            key={property.propertyPath}
            where="edit"
            onChange={handleChange}
            property={property}
            resource={resource}
            record={record}
          />
        ))}
      </DrawerContent>
      <DrawerFooter>
        <Button
          variant="contained"
          type="submit"
          value="list"
          data-testid="button-save"
          disabled={loading}
          mr="default"
        >
          Save
        </Button>
        <Button
          type="submit"
          value="continue"
          data-testid="button-save-continue"
          disabled={loading}
          mr="default"
        >
          Save and continue editing
        </Button>
        <Button type="submit" value="another" data-testid="button-save-another" disabled={loading}>
          Save and add another
        </Button>
      </DrawerFooter>
    </Box>
  );
};

export default SaveForm;
