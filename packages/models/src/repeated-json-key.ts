/** A key that one object of a JSON text holds twice: the key, and where that object is (RFC 6901). */
export interface RepeatedJsonKey {
  readonly key: string;
  /** JSON Pointer of the object holding the key twice: '' for the top-level object. */
  readonly at: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const JSON_SPACE = /[ \t\n\r]*/y;

/** One open object (its keys so far) or array (the index of the element being read). */
interface Frame {
  readonly keys: Set<string> | undefined;
  /** The object's current key, or the array's current index: the next frame's place in the pointer. */
  step: string | number;
}

/**
 * The first key that an object of `text` holds twice, at any depth; undefined when there is none.
 * `text` must be JSON that `JSON.parse` accepted. RFC 8259 leaves repeated names to the parser, and
 * `JSON.parse` keeps the last without a word: a proxy or log that reads the first would see another
 * request than the one obeyed, so bodies with one are refused. One pass over the text: strings are
 * skipped whole (their brackets are not structure); a string followed by a colon is a key.
 */
export function repeatedJsonKey(text: string): RepeatedJsonKey | undefined {
  const open: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      while (text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      JSON_SPACE.lastIndex = end + 1;
      JSON_SPACE.exec(text);
      const frame = open[open.length - 1];
      if (frame?.keys && text.charCodeAt(JSON_SPACE.lastIndex) === COLON) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (frame.keys.has(key)) return { key, at: pointerTo(open) };
        frame.keys.add(key);
        frame.step = key;
      }
      i = end;
    } else if (c === OPEN_OBJECT) {
      open.push({ keys: new Set(), step: '' });
    } else if (c === OPEN_ARRAY) {
      open.push({ keys: undefined, step: 0 });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop();
    } else if (c === COMMA) {
      const frame = open[open.length - 1]!;
      if (!frame.keys) frame.step = (frame.step as number) + 1;
    }
  }
  return undefined;
}

/** The pointer to the innermost open frame: each outer frame's step, escaped per RFC 6901 §3. */
function pointerTo(open: readonly Frame[]): string {
  let pointer = '';
  for (let depth = 0; depth < open.length - 1; depth++) {
    pointer += '/' + String(open[depth]!.step).replaceAll('~', '~0').replaceAll('/', '~1');
  }
  return pointer;
}
