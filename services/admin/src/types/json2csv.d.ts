// json2csv 6 (alpha, the version @adminjs/import-export uses) ships no types; only parse() is used.
declare module 'json2csv' {
  export function parse(
    data: ReadonlyArray<Record<string, unknown>>,
    options?: { formatters?: { string?: (value: string) => string } },
  ): string;
  export const formatters: { string(options?: { quote?: string }): (value: string) => string };
}
