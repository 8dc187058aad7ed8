/**
 * RFC 7515 §2 / RFC 4648 §3.5 canonical base64url: decoders (Node's included) ignore the unused low
 * bits of a segment's last character, so up to 16 spellings decode to the same bytes. Refusing every
 * spelling but the canonical one keeps a signed token a single string: a valid signature cannot be
 * re-spelled into "new" tokens that pass verification and each take a token-cache slot.
 */

/** The 6-bit value of a base64url character (the caller has already checked the alphabet). */
function sextet(code: number): number {
  if (code >= 97) return code - 71; // a-z: 26..51
  if (code === 95) return 63; // '_'
  if (code >= 65) return code - 65; // A-Z: 0..25
  if (code >= 48) return code + 4; // 0-9: 52..61
  return 62; // '-'
}

/**
 * Whether token[start, end) is canonical unpadded base64url: a length that is not 1 mod 4, and a last
 * character whose bits beyond the encoded bytes are zero (4 of them when length ≡ 2 mod 4, 2 when ≡ 3).
 */
function canonicalSegment(token: string, start: number, end: number): boolean {
  const rest = (end - start) % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  return (sextet(token.charCodeAt(end - 1)) & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * Whether the three segments of a compact JWS are canonical base64url. Expects a token already matched
 * against `^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$` (alphabet, no '=' padding, two dots).
 */
export function hasCanonicalSegments(token: string): boolean {
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  return (
    canonicalSegment(token, 0, firstDot) &&
    canonicalSegment(token, firstDot + 1, secondDot) &&
    canonicalSegment(token, secondDot + 1, token.length)
  );
}
