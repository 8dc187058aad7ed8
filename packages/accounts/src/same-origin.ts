/** What a cross-site check reads from a request, whatever the server framework. */
export interface RequestSite {
  readonly method: string;
  /** The Host header. */
  readonly host: string | undefined;
  readonly secFetchSite: string | undefined;
  readonly origin: string | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether `origin` is the server's own: the same host and port as the request's Host header. The
 * scheme is not compared: the services speak plain HTTP behind a TLS-terminating proxy, and a page of
 * another scheme on the very same host and port would be the service itself.
 */
function isOwnOrigin(origin: string, host: string | undefined): boolean {
  if (!URL.canParse(origin)) return false; // "null" (sandboxed frames, file: pages)
  return new URL(origin).host === host;
}

/**
 * Why a state-changing request looks cross-site; undefined when it does not. Shared by the admin and
 * the auth service's login page (CSRF defence beside SameSite cookies and, on the login page, a signed
 * form token).
 */
export function crossSiteProblem(request: RequestSite): string | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const site = request.secFetchSite;
  // Browsers that send Fetch Metadata say exactly where the request comes from. "same-site" is not
  // enough: another port or subdomain of the same host is same-site but a different origin.
  if (site !== undefined)
    return site === 'same-origin' ? undefined : `Sec-Fetch-Site is "${site}", not "same-origin".`;
  const origin = request.origin;
  if (origin !== undefined)
    return isOwnOrigin(origin, request.host)
      ? undefined
      : `Origin ${origin} is not this server (${request.host ?? 'no Host'}).`;
  // Neither header: not a browser (every browser that can be made to post cross-site sends Origin on
  // a cross-origin POST), e.g. curl or a script. A forged cross-site request cannot come without them.
  return undefined;
}
