import type { AdminJSOptions, ResourceWithOptions } from 'adminjs';
import {
  checkHotProjections,
  hotProjections,
  registry,
  type HotProjection,
  type ModelDeclaration,
  type Orm,
} from '@tandem/models';
import { changePasswordHandler, type PasswordGuesses } from './actions/change-password.js';
import { dashboardHandler } from './actions/dashboard.js';
import type { Components } from './components.js';
import { auditEntryResource } from './resources/audit-entry.js';
import { clientResource } from './resources/client.js';
import type { ResourceDeps } from './resources/common.js';
import { deriveAdmin, registryResource } from './resources/derived.js';
import { withPickerSearch } from './resources/picker-search.js';
import { withMoney } from './resources/money.js';
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

/**
 * The design system's light greys fail WCAG AA contrast as text on white (grey60 #898A9A is 3.4:1;
 * labels, breadcrumbs and outlined badges use it; grey40 is the filled default badge behind white
 * text). Darker, same hue: 6.1:1 and 4.9:1.
 */
const READABLE_GREYS = { grey60: '#60616F', grey40: '#6F7080' } as const;

type ResourceBuilder = (deps: ResourceDeps, secretKey?: string) => ResourceWithOptions;

/**
 * Hand-written admin pages, by entity name: models whose security rules (who may edit whom, secrets
 * shown once, read-only logs) or bulk actions need code. Every other registered model gets a page
 * derived from its declaration and the ORM metadata (resources/derived.ts).
 */
const HAND_WRITTEN: Readonly<Record<string, ResourceBuilder>> = {
  Product: productResource,
  User: userResource,
  Role: roleResource,
  AuditEntry: auditEntryResource,
  Session: sessionResource,
  SigningKey: signingKeyResource,
  Client: clientResource,
};

const withAdmin = () => registry.filter((model) => model.admin !== null);

/** Sidebar and field labels of every registered model: declared, else derived from the names. */
function modelLabels(orm: Orm) {
  const labels: Record<string, string> = {};
  const resources: Record<string, { properties: Record<string, string> }> = {};
  for (const model of withAdmin()) {
    const derived = deriveAdmin(orm.getMetadata().get(model.name), model);
    labels[model.name] = derived.label;
    // A hand-written page keeps AdminJS's labels except the declared ones.
    const properties = HAND_WRITTEN[model.name] ? model.admin?.propertyLabels : derived.propertyLabels;
    if (properties && Object.keys(properties).length > 0)
      resources[model.name] = { properties: { ...properties } };
  }
  return { labels, resources };
}

function resourceOf(deps: ResourceDeps, model: ModelDeclaration, secretKey?: string): ResourceWithOptions {
  const resource = HAND_WRITTEN[model.name]?.(deps, secretKey) ?? registryResource(deps, model);
  // Money is declared on the model, so hand-written and derived pages show it alike.
  return withMoney(resource, model, deps.orm, deps.components);
}

/** What the server's pages depend on beyond the ORM and the components (the bundle needs none). */
export interface AdminSettings {
  /** TANDEM_SECRET_KEY: keys client-secret hashes; without it clients cannot be created here. */
  readonly secretKey?: string;
  readonly passwordGuesses?: PasswordGuesses;
  /** ORDER_HOLD_SECONDS: an order's page shows when its unpaid stock hold ends. */
  readonly orderHoldSeconds?: number;
  /** The hot declarations checked at start-up; the registry's by default (tests pass their own). */
  readonly projections?: readonly HotProjection[];
}

/** Everything AdminJS needs, built the same way for the build-time bundle and for the server. */
export function adminOptions(
  orm: Orm,
  components: Components,
  { secretKey, passwordGuesses, orderHoldSeconds, projections = hotProjections }: AdminSettings = {},
): AdminJSOptions {
  // A declaration fast would refuse stops the admin too (a ProjectionError naming it), before a save
  // trips over it: a `schema` fragment Ajv cannot compile would otherwise first fail at a save, a 500.
  checkHotProjections(projections, (name) => orm.getMetadata().find(name) ?? undefined);
  const deps: ResourceDeps = { orm, components, ...(orderHoldSeconds !== undefined && { orderHoldSeconds }) };
  const { labels, resources } = modelLabels(orm);
  return {
    rootPath: ROOT_PATH,
    loginPath: `${ROOT_PATH}/login`,
    logoutPath: `${ROOT_PATH}/logout`,
    componentLoader: components.loader,
    // Reference pickers may search the referenced model for whoever may fill the form (picker-search.ts).
    resources: withPickerSearch(
      withAdmin().map((model) => resourceOf(deps, model, secretKey)),
      withAdmin(),
    ),
    dashboard: { component: components.Dashboard, handler: dashboardHandler(orm) },
    pages: {
      changePassword: {
        icon: 'Key',
        component: components.ChangePassword,
        handler: changePasswordHandler(orm, passwordGuesses),
      },
    },
    branding: {
      companyName: 'Tandem admin',
      withMadeWithLove: false,
      logo: false,
      theme: { colors: { ...READABLE_GREYS } },
    },
    settings: { defaultPerPage: 25 },
    locale: {
      language: 'en',
      availableLanguages: ['en'],
      translations: {
        en: {
          messages: { ...LOGIN_MESSAGES },
          // Tandem's list actions (src/actions/): AdminJS would title-case the names ("All Matching").
          actions: { allMatching: 'All matching', export: 'Export' },
          components: {
            Login: {
              welcomeHeader: 'Tandem',
              welcomeMessage:
                'Staff administration of the Tandem catalog and accounts. Sign in with your staff account.',
            },
          },
          pages: { changePassword: 'Change my password' },
          labels: { ...labels, changePassword: 'Change my password' },
          resources,
        },
      },
    },
  };
}
