/**
 * OpenAPI 3.1 documents generated from the model registry and the ORM metadata, never written by hand:
 * the fast service's (collections, list parameters, cursor, errors, WebSocket messages) and the auth
 * service's (token, revoke, JWKS, discovery). Both services serve theirs at GET /openapi.json; the
 * typed client generator reads the same functions.
 */
export { openApiDocument, LIST_LIMITS, type FastDocumentInput, type EntityMetadataFinder } from './fast.js';
export { authOpenApiDocument, type AuthDocumentInput } from './auth.js';
export { LIVE_CLOSE_CODES } from './live-messages.js';
export { DOCUMENT_VERSION, type OpenApiDocument } from './document.js';
export { propertySchema } from './field-schema.js';
export { writeBodySchemas, type WriteBodySchemas } from './write-schemas.js';
export { WRITE_ERROR_CODES, WRITES_COLLECTION } from './write-paths.js';
