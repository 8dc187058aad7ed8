import type { RequestHandler, Response } from 'express';
import formidable from 'express-formidable';
import { RequestRefused } from './request-refused.js';

/**
 * The largest request body the admin reads. Its forms are small (a product's description is the
 * longest field); formidable 1.x holds a urlencoded or JSON body in one string with no limit of its
 * own, and one anonymous 600 MB post to the login page killed the process (a string too long for V8).
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the admin's front end posts: forms (AdminJS sends multipart) and JSON. */
const BODY_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'];

function refuse(res: Response, status: number, error: string, message: string): void {
  // The unread body is not drained: the connection closes after the answer.
  res.status(status).set('Connection', 'close').json({ error, message });
}

/**
 * Refuses, before a byte of it is read, a body the form parser must not see: longer than
 * MAX_BODY_BYTES, of unknown length (chunked: browsers always send a Content-Length), or of a type
 * it does not parse (formidable answered those with an error, which was a 500).
 */
export const acceptableBodies: RequestHandler = (req, res, next) => {
  const length = req.headers['content-length'];
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return next();
  if (length === undefined)
    return refuse(res, 411, 'length_required', 'Send the request body with a Content-Length header.');
  const bytes = Number(length);
  if (bytes === 0) return next();
  if (bytes > MAX_BODY_BYTES)
    return refuse(
      res,
      413,
      'body_too_large',
      `The request body is ${bytes} bytes; the admin reads at most ${MAX_BODY_BYTES} (1 MiB).`,
    );
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!BODY_TYPES.includes(type))
    return refuse(
      res,
      415,
      'unsupported_media_type',
      `The admin reads ${BODY_TYPES.join(', ')} bodies${type === '' ? '; this one has no Content-Type' : `, not ${type.slice(0, 60)}`}.`,
    );
  next();
};

const parse = formidable({ maxFileSize: 10 * 1024 * 1024, maxFields: 2000 });

/**
 * express-formidable, with its parse errors (JSON that does not parse, a multipart body without its
 * boundary, too many fields) answered as the client's (400 malformed_body) and next() called once:
 * express-formidable calls it from both the form's error event and the parse callback. A system error
 * (it has a `code`, e.g. a full disk while formidable writes a file part) stays a 500.
 */
export const formBodies: RequestHandler = (req, res, next) => {
  let called = false;
  parse(req, res, (error?: unknown) => {
    if (called) return;
    called = true;
    if (error === undefined || error === null) return next();
    if (typeof (error as { code?: unknown }).code === 'string') return next(error);
    const reason = error instanceof Error ? error.message : String(error);
    next(
      new RequestRefused(
        400,
        'malformed_body',
        `The request body could not be read: ${reason.slice(0, 200)}`,
      ),
    );
  });
};
