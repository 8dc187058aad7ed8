/**
 * Packs the prepared bytes of a snapshot's records into shared 1 MiB slabs. `Buffer.from(string)`
 * takes each record from Node's 8 KiB pool, which measured ~1.6× the JSON size for ~1 KB records;
 * slabs cost ~1.0×. Used for snapshot loads only: a record changed later gets a buffer of its own, so
 * the space its old copy leaves in a slab is bounded by one snapshot's size (and a reload, which fills
 * a fresh arena, releases the old slabs entirely).
 */
export class ByteArena {
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;

  constructor(private readonly slabSize: number = 1 << 20) {}

  copy(text: string): Buffer {
    const size = Buffer.byteLength(text, 'utf8');
    if (size > this.slabSize >>> 4) return exactBuffer(text, size);
    if (this.used + size > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(this.slabSize);
      this.used = 0;
    }
    this.slab.write(text, this.used, 'utf8');
    const view = this.slab.subarray(this.used, this.used + size);
    this.used += size;
    return view;
  }
}

/** A buffer of exactly the text's size, outside Node's shared pool. */
export function exactBuffer(text: string, size: number = Buffer.byteLength(text, 'utf8')): Buffer {
  const buffer = Buffer.allocUnsafeSlow(size);
  buffer.write(text, 0, 'utf8');
  return buffer;
}
