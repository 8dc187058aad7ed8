// "Change my password" page for any logged-in staff member (POSTs to the changePassword page handler).
import React, { useState } from 'react';
import { Box, Button, FormGroup, FormMessage, H3, Input, Label, MessageBox } from '@adminjs/design-system';
import { ApiClient } from 'adminjs';

const ChangePassword = () => {
  const [fields, setFields] = useState({ currentPassword: '', newPassword: '', confirmPassword: '' });
  const [errors, setErrors] = useState({});
  const [notice, setNotice] = useState(null);
  const [loading, setLoading] = useState(false);
  const set = (name) => (event) => setFields({ ...fields, [name]: event.target.value });

  const submit = (event) => {
    event.preventDefault();
    setLoading(true);
    new ApiClient()
      .getPage({ pageName: 'changePassword', method: 'post', data: fields })
      .then((response) => {
        setLoading(false);
        setErrors(response.data.errors || {});
        setNotice(response.data.notice || null);
        if (response.data.notice && response.data.notice.type === 'success') {
          setFields({ currentPassword: '', newPassword: '', confirmPassword: '' });
        }
      })
      .catch(() => {
        setLoading(false);
        setNotice({ type: 'error', message: 'Could not change the password; try again.' });
      });
  };

  const field = (name, label) => (
    <FormGroup error={Boolean(errors[name])}>
      <Label required htmlFor={name}>
        {label}
      </Label>
      <Input
        id={name}
        name={name}
        type="password"
        value={fields[name]}
        onChange={set(name)}
        autoComplete={name === 'currentPassword' ? 'current-password' : 'new-password'}
      />
      <FormMessage>{errors[name]}</FormMessage>
    </FormGroup>
  );

  return (
    <Box variant="container" as="form" onSubmit={submit} maxWidth="480px" m="xl">
      <H3>Change my password</H3>
      {notice ? (
        <MessageBox
          mb="lg"
          variant={notice.type === 'success' ? 'success' : 'danger'}
          message={notice.message}
        />
      ) : null}
      {field('currentPassword', 'Current password')}
      {field('newPassword', 'New password')}
      {field('confirmPassword', 'New password again')}
      <Button variant="contained" type="submit" disabled={loading}>
        Change password
      </Button>
    </Box>
  );
};

export default ChangePassword;
