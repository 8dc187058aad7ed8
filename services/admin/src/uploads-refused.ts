import { rm } from 'node:fs/promises';
import type { RequestHandler } from 'express';
import { RequestRefused } from './request-refused.js';

/** The temp files the form parser wrote for a request's file parts (one or several per field). */
function uploadedPaths(files: unknown): string[] {
  if (typeof files !== 'object' || files === null) return [];
  return Object.values(files)
    .flat()
    .map((file: unknown) => (file as { path?: unknown } | null)?.path)
    .filter((path): path is string => typeof path === 'string');
}

/**
 * No model of the admin has a file field, but its form parser (express-formidable on formidable 1.x)
 * writes every file part of a multipart body to the temp directory and never deletes it, for anyone,
 * login page included: a way to fill the disk without an account. Such files are deleted at once and
 * the request refused.
 */
export const refuseUploads: RequestHandler = (req, _res, next) => {
  const paths = uploadedPaths((req as { files?: unknown }).files);
  if (paths.length === 0) return next();
  void Promise.all(paths.map((path) => rm(path, { force: true }))).then(
    () => next(new RequestRefused(400, 'uploads_not_accepted', 'The admin takes no file uploads.')),
    next,
  );
};
