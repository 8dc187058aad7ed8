import type { AdminJSOptions } from 'adminjs';
import type { Orm } from '@tandem/models';
import { changePasswordHandler } from './actions/change-password.js';
import { dashboardHandler } from './actions/dashboard.js';
import type { Components } from './components.js';
import { auditEntryResource } from './resources/audit-entry.js';
import { categoryResource } from './resources/category.js';
import { clientResource } from './resources/client.js';
import { productResource } from './resources/product.js';
import { roleResource } from './resources/role.js';
import { sessionResource } from './resources/session.js';
import { signingKeyResource } from './resources/signing-key.js';
import { userResource } from './resources/user.js';

export const ROOT_PATH = '/admin';

/** Messages shown on the login page (keys passed to AdminJS's renderLogin). */
export const LOGIN_MESSAGES = {
  invalidStaffLogin: 'Please enter the correct email and password for a staff account.',
} as const;

/** Everything AdminJS needs, built the same way for the build-time bundle and for the server. */
/** `secretKey` (TANDEM_SECRET_KEY) keys client-secret hashes; without it clients cannot be created here. */
export function adminOptions(orm: Orm, components: Components, secretKey?: string): AdminJSOptions {
  const deps = { orm, components };
  return {
    rootPath: ROOT_PATH,
    loginPath: `${ROOT_PATH}/login`,
    logoutPath: `${ROOT_PATH}/logout`,
    componentLoader: components.loader,
    resources: [
      productResource(deps),
      categoryResource(deps),
      userResource(deps),
      roleResource(deps),
      auditEntryResource(deps),
      sessionResource(deps),
      signingKeyResource(deps),
      clientResource(deps, secretKey),
    ],
    dashboard: { component: components.Dashboard, handler: dashboardHandler(orm) },
    pages: {
      changePassword: {
        icon: 'Key',
        component: components.ChangePassword,
        handler: changePasswordHandler(orm),
      },
    },
    branding: {
      companyName: 'Tandem admin',
      withMadeWithLove: false,
      logo: false,
    },
    settings: { defaultPerPage: 25 },
    locale: {
      language: 'en',
      availableLanguages: ['en'],
      translations: {
        en: {
          messages: { ...LOGIN_MESSAGES },
          components: {
            Login: {
              welcomeHeader: 'Tandem',
              welcomeMessage:
                'Staff administration of the Tandem catalog and accounts. Sign in with your staff account.',
            },
          },
          pages: { changePassword: 'Change my password' },
          labels: {
            Product: 'Products',
            Category: 'Categories',
            User: 'Users',
            Role: 'Roles',
            AuditEntry: 'Audit log',
            Session: 'Sessions',
            SigningKey: 'Signing keys',
            Client: 'Clients',
            changePassword: 'Change my password',
          },
          resources: {
            Product: {
              properties: { priceCents: 'Price (cents)', updatedAt: 'Updated', createdAt: 'Created' },
            },
            AuditEntry: { properties: { actorEmail: 'By', recordId: 'Record id', createdAt: 'When' } },
          },
        },
      },
    },
  };
}
