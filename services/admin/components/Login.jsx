// The login page (overrides AdminJS's Login). AdminJS 7.8's labels are not tied to their inputs (a
// screen reader announces "edit text", and clicking "Email" does not focus the field) and its
// password field says autocomplete="new-password", so password managers offer a new password instead
// of filling the saved one. Same layout and texts otherwise; the form posts to src/auth.ts.
import React from 'react';
import { useSelector } from 'react-redux';
import { Box, Button, FormGroup, H1, Input, Label, MessageBox, Text } from '@adminjs/design-system';
import { useTranslation } from 'adminjs';

const Login = () => {
  const { action, errorMessage: message } = window.__APP_STATE__;
  const { translateComponent, translateMessage } = useTranslation();
  const branding = useSelector((state) => state.branding);
  const field = (name) => translateComponent(`Login.properties.${name}`);
  return (
    <Box as="main" flex variant="grey" alignItems="center" justifyContent="center" height="100%">
      <Box bg="white" flex boxShadow="login" width={[1, 2 / 3, 'auto']}>
        <Box bg="primary100" color="white" p="x3" width="380px" display={['none', 'none', 'block']}>
          <Text as="p" fontSize="h4" fontWeight="light">
            {translateComponent('Login.welcomeHeader')}
          </Text>
          <Text fontWeight="light" mt="default">
            {translateComponent('Login.welcomeMessage')}
          </Text>
        </Box>
        <Box as="form" action={action} method="POST" p="x3" width={['100%', '100%', '480px']}>
          <H1 fontSize="h4" mb="xxl">
            {branding.companyName}
          </H1>
          {message && (
            <MessageBox
              my="lg"
              variant="danger"
              message={message.split(' ').length > 1 ? message : translateMessage(message)}
            />
          )}
          <FormGroup>
            <Label htmlFor="login-email" required>
              {field('email')}
            </Label>
            <Input id="login-email" name="email" autoComplete="username" />
          </FormGroup>
          <FormGroup>
            <Label htmlFor="login-password" required>
              {field('password')}
            </Label>
            <Input id="login-password" name="password" type="password" autoComplete="current-password" />
          </FormGroup>
          <Text mt="xl" textAlign="center">
            <Button variant="contained" type="submit">
              {translateComponent('Login.loginButton')}
            </Button>
          </Text>
        </Box>
      </Box>
    </Box>
  );
};

export default Login;
