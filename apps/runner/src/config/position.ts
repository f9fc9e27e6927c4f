import { isMap, isScalar, type Document } from 'yaml';
import type { KeyPath } from './paths.js';

/** The file offset of the deepest node of `path` that exists, so a missing key points at its parent. */
export function offsetOf(doc: Document, path: KeyPath): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as { range?: [number, number, number] } | null | undefined;
    if (node && typeof node === 'object' && node.range) return node.range[0];
  }
  return undefined;
}

/** The offset of `key` itself in the mapping at `parent`, so an unknown key is reported on its own line. */
export function keyOffset(doc: Document, parent: KeyPath, key: string): number | undefined {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
  if (isMap(map)) {
    const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
  }
  return offsetOf(doc, parent);
}
