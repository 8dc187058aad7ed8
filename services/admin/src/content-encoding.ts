import type { RequestHandler } from 'express';

/**
 * The admin's form parser (express-formidable) ignores Content-Encoding: a body labelled gzip was
 * parsed as if it were plain (a plain body "worked", a real gzip body became garbage fields). No
 * browser compresses request bodies, so anything but identity is refused before the body is read.
 */
export const identityBodiesOnly: RequestHandler = (req, res, next) => {
  const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return next();
  res
    .status(415)
    .set('Accept-Encoding', 'identity')
    .json({
      error: 'unsupported_content_encoding',
      message: `Request bodies must not be compressed (Content-Encoding: ${encoding}); send them as plain form data.`,
    });
};
