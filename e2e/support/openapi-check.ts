/**
 * Checks a live answer against the OpenAPI document the service itself serves: the status must be one
 * the operation documents, and the body must match that response's JSON Schema (Ajv, JSON Schema
 * 2020-12 as OpenAPI 3.1 uses it), `$ref`s resolved inside the document.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document as parsed JSON
type Json = any;

const pointer = (...segments: string[]) =>
  segments.map((segment) => `/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  constructor(
    readonly document: Json,
    private readonly id: string,
  ) {
    addFormats.default(this.ajv);
    this.ajv.addSchema({ ...document, $id: id });
  }

  /** Validates `value` against the schema at a JSON pointer of the document (e.g. a component schema). */
  matches(schemaPointer: string, value: unknown, what: string): void {
    const validate = this.ajv.getSchema(`${this.id}#${schemaPointer}`);
    assert.ok(validate, `${what}: no schema at ${schemaPointer}`);
    assert.ok(
      validate(value),
      `${what}: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 500)}`,
    );
  }

  schema(name: string, value: unknown, what = name): void {
    this.matches(pointer('components', 'schemas', name), value, what);
  }

  /** The status is documented for the operation, and a JSON body matches that response's schema. */
  response(
    path: string,
    method: string,
    status: number,
    body: unknown,
    mediaType = 'application/json',
  ): void {
    const what = `${method.toUpperCase()} ${path} → ${status}`;
    const operation = this.document.paths?.[path]?.[method];
    assert.ok(operation, `${what}: the document has no such operation`);
    let at = pointer('paths', path, method, 'responses', String(status));
    let response = operation.responses?.[String(status)];
    assert.ok(
      response,
      `${what}: status not documented (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`,
    );
    if (typeof response.$ref === 'string') {
      at = response.$ref.slice(1);
      response = this.document.components.responses[response.$ref.split('/').pop()];
    }
    if (body === undefined) return;
    assert.ok(response.content?.[mediaType], `${what}: no ${mediaType} body documented`);
    this.matches(`${at}${pointer('content', mediaType, 'schema')}`, body, what);
  }
}
