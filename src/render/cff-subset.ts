/**
 * fontkit's CFF subsetter keeps every subroutine slot of the face, so that the glyphs' calls still
 * find theirs by number: a used subroutine is copied, an unused one becomes a one-byte `return`
 * (11). For that one byte it allocates a new array per slot — and a Noto CJK face has 1,200–3,200
 * global and 45,000–54,000 local subroutines — for every face embedded in every document. On the
 * lifecycle bench (issue #16.3) that allocation and the garbage collection after it were about
 * half of a one-page rendering's CPU.
 *
 * `sharingReturns(subset)` gives one subset the same slots with one shared `return` array: the
 * same bytes are written (test/render/cff-subset.test.ts compares them with fontkit's own), with
 * none of the garbage. It is set on the subset object, never on fontkit's class, and only where
 * the subset is a CFF one of the shape this was written against; anything else is left as it is.
 */
const RETURN = new Uint8Array([11]);

interface CffSubset {
  cff: { stream: { pos: number; readBuffer(length: number): Uint8Array } };
  subsetSubrs(subrs: { offset: number; length: number }[], used: Record<number, boolean>): Uint8Array[];
}

function isCffSubset(subset: unknown): subset is CffSubset {
  const s = subset as Partial<CffSubset> | null;
  return typeof s?.subsetSubrs === 'function' && s.subsetSubrs.length === 2 && typeof s.cff?.stream?.readBuffer === 'function';
}

export function sharingReturns<T>(subset: T): T {
  if (!isCffSubset(subset)) return subset;
  subset.subsetSubrs = function (subrs, used) {
    const out = new Array<Uint8Array>(subrs.length);
    for (let i = 0; i < subrs.length; i++) {
      if (used[i]) {
        const subr = subrs[i]!;
        this.cff.stream.pos = subr.offset;
        out[i] = this.cff.stream.readBuffer(subr.length);
      } else {
        out[i] = RETURN;
      }
    }
    return out;
  };
  return subset;
}
