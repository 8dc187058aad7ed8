import type { RequestHandler, Router } from 'express';

/**
 * Rewrites every page AdminJS renders (it sends its HTML as one string through `res.send`) before it
 * leaves: how the admin changes what AdminJS's templates hard-code (font links, script URLs) without
 * copying the templates. Other bodies (JSON, buffers, streams) pass untouched.
 */
export function rewriteHtml(router: Router, rewrite: (html: string) => string): void {
  const handler: RequestHandler = (_req, res, next) => {
    const send = res.send.bind(res);
    res.send = ((body?: unknown) => {
      // res.json sends a string too, typed first: stored text in JSON is never rewritten.
      const type = res.get('Content-Type');
      const html = typeof body === 'string' && (type === undefined || type.includes('html'));
      return send(html ? rewrite(body) : body);
    }) as typeof res.send;
    next();
  };
  router.use(handler);
}
