// express-formidable ships no types; only the default export (a middleware factory) is used.
declare module 'express-formidable' {
  import type { RequestHandler } from 'express';
  export default function formidable(options?: {
    maxFileSize?: number;
    maxFields?: number;
    multiples?: boolean;
  }): RequestHandler;
}
