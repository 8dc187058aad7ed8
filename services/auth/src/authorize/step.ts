// The shape of a sign-in step on the authorization page, shared by sign-in-steps.ts and two-factor-step.ts.
import type { AuthDeps } from '../deps.js';
import type { Params } from '../params.js';
import type { Authentication } from './login-sessions.js';
import { loginPage, type FormContext } from './pages.js';
import type { AuthorizationRequest } from './request.js';

/** What a step handler gets. */
export interface StepContext {
  readonly deps: AuthDeps;
  /** The posted form fields (single strings; empty ones absent). */
  readonly form: Params;
  /** The authorization request the page is for (checked again on every post). */
  readonly request: AuthorizationRequest;
  /** Hidden fields for the next form (the request and the CSRF token). */
  readonly formContext: FormContext;
  /** The client's address (X-Forwarded-For only from TRUSTED_PROXIES), for throttling. */
  readonly address: string;
}

/** A page to show: the next step's form, or an error. */
export interface StepPage {
  readonly kind: 'page';
  readonly status: number;
  readonly html: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A step's result: a finished sign-in, or a page to show. */
export type StepOutcome =
  { readonly kind: 'authenticated'; readonly authentication: Authentication } | StepPage;

/** The login page again, with a message (and the email kept, the password never). */
export function loginAgain(context: StepContext, status: number, error: string, email?: string): StepPage {
  return {
    kind: 'page',
    status,
    html: loginPage({ form: context.formContext, clientName: context.request.client.name, email, error }),
  };
}

export type SignInStep = (context: StepContext) => Promise<StepOutcome>;
