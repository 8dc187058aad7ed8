/**
 * A JSON Schema fragment (2020-12, as OpenAPI 3.1 uses it). Kept loose on purpose: a declaration may
 * add any keyword (minimum, pattern, items...) to what the ORM metadata already says about a field.
 */
export type JsonSchema = { readonly [keyword: string]: unknown };
