/**
 * `text` as a whole number when it is 1 to `maxDigits` ASCII digits (leading zeros allowed), else
 * undefined. A character loop: no regular expression and no Number() parse, on every record GET (its
 * id, by recordId) and list page (limit and cursor).
 */
export function decimalValue(text: string, maxDigits: number): number | undefined {
  const length = text.length;
  if (length === 0 || length > maxDigits) return undefined;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}
