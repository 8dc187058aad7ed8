/** Every live arena slab, by its memory: what `ByteArena.slabOf` answers from. */
const SLABS = new WeakMap<ArrayBufferLike, Buffer>();

/**
 * Packs the prepared bytes of a snapshot's records into shared 1 MiB slabs. `Buffer.from(string)`
 * takes each record from Node's 8 KiB pool, which measured ~1.6× the JSON size for ~1 KB records;
 * slabs cost ~1.0×. Used for snapshot loads only: a record changed later gets a buffer of its own, so
 * the space its old copy leaves in a slab is bounded by one snapshot's size (and a reload, which fills
 * a fresh arena, releases the old slabs entirely).
 *
 * With a `separator`, each copy is followed by that byte in the slab (outside the returned view).
 * Records copied one after another then lie in the slab exactly as a JSON array lists them, so a list
 * page of neighbours is one contiguous range (see `listBody`).
 */
export class ByteArena {
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;

  constructor(
    private readonly separator?: number,
    private readonly slabSize: number = 1 << 20,
  ) {}

  /** The whole slab `view` lies in, when an arena made it; undefined for a buffer of its own. */
  static slabOf(view: Buffer): Buffer | undefined {
    return SLABS.get(view.buffer);
  }

  copy(text: string): Buffer {
    const size = Buffer.byteLength(text, 'utf8');
    if (size > this.slabSize >>> 4) return exactBuffer(text, size);
    const footprint = this.separator === undefined ? size : size + 1;
    if (this.used + footprint > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(this.slabSize);
      SLABS.set(this.slab.buffer, this.slab);
      this.used = 0;
    }
    this.slab.write(text, this.used, 'utf8');
    const view = this.slab.subarray(this.used, this.used + size);
    if (this.separator !== undefined) this.slab[this.used + size] = this.separator;
    this.used += footprint;
    return view;
  }
}

/** A buffer of exactly the text's size, outside Node's shared pool. */
export function exactBuffer(text: string, size: number = Buffer.byteLength(text, 'utf8')): Buffer {
  const buffer = Buffer.allocUnsafeSlow(size);
  buffer.write(text, 0, 'utf8');
  return buffer;
}
