/** Any JSON value: the type of a `json` column, whose shape the ORM metadata does not record. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
