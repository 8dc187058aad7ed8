import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Router } from 'express';
import { rewriteHtml } from './html-rewrite.js';

const GOOGLE_FONTS_LINK =
  /<link rel="stylesheet" href="https:\/\/fonts\.googleapis\.com\/[^"]*" type="text\/css">/g;
const WEIGHTS = [300, 400, 500, 700];

/** Where @fontsource/roboto is installed (its CSS and font files). */
function robotoDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@fontsource/roboto/400.css'));
}

/**
 * AdminJS pages hard-code a Google Fonts stylesheet; this machine (and many deployments) cannot reach
 * it. Serve Roboto from @fontsource/roboto under `<root>/static/roboto/` and rewrite the link in every
 * HTML page, so the admin makes no request to any other host.
 */
export function offlineFonts(router: Router, rootPath: string): void {
  const base = `${rootPath}/static/roboto`;
  const links = WEIGHTS.map(
    (weight) => `<link rel="stylesheet" href="${base}/${weight}.css" type="text/css">`,
  ).join('');
  router.use('/static/roboto', express.static(robotoDir(), { immutable: true, maxAge: '30d', index: false }));
  rewriteHtml(router, (html) =>
    html.includes('fonts.googleapis.com') ? html.replace(GOOGLE_FONTS_LINK, links) : html,
  );
}

/** uPlot's stylesheet (the live dashboard's plots, components/LiveMetrics.jsx) under `<root>/static/uplot/`. */
export function offlineUplotStyles(router: Router): void {
  const dir = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'));
  router.use('/static/uplot', express.static(dir, { immutable: true, maxAge: '30d', index: false }));
}
