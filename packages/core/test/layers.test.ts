import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCircles, importGraph } from './import-graph.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CORE = 'packages/core/src/';

/**
 * Which folders of core each folder may import ('.' is core's own top-level modules: errors, record, logger …).
 * columns and findings are two models that know nothing of each other; grain composes them into the rows a sink
 * writes; sink (the contract and atomic files) sits beside them and reads no columns; it knows the finding model only
 * because a compared run hands sinks finding rows that come from no image (Sink.writeFindings).
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  '.': ['.'],
  columns: ['.'],
  findings: ['.'],
  sink: ['.', 'findings'],
  grain: ['.', 'columns', 'findings', 'sink'],
};

/** The two barrels re-export every layer; they are the package's entries, not a layer. */
const ENTRIES = new Set([`${CORE}index.ts`, `${CORE}sink-api.ts`]);

const folderOf = (path: string) => {
  const parts = path.slice(CORE.length).split('/');
  return parts.length > 1 ? (parts[0] as string) : '.';
};

describe("core's layers", () => {
  const edges = importGraph(REPO, [CORE]).filter((e) => !ENTRIES.has(e.from) && e.to.startsWith(CORE));

  it('columns, findings, sink and grain import only the layers below them, types included', () => {
    const wrong = edges
      .filter((e) => {
        const [from, to] = [folderOf(e.from), folderOf(e.to)];
        const allowed = MAY_IMPORT[from];
        return allowed !== undefined && from !== to && !allowed.includes(to);
      })
      .map((e) => `${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''}`);
    expect(wrong).toEqual([]);
  });

  it('every folder of the table exists, so a rename cannot turn a rule off silently', () => {
    const folders = new Set(edges.map((e) => folderOf(e.from)));
    for (const folder of Object.keys(MAY_IMPORT)) expect(folders, folder).toContain(folder);
  });
});

describe('import circles', () => {
  it('no package or app has one, type-only imports included', () => {
    const circles = importCircles(importGraph(REPO, ['packages', 'apps']).filter((e) => e.from.includes('/src/')));
    expect(circles).toEqual([]);
  });

  it('the finder sees a circle made of type-only imports', () => {
    const circles = importCircles([
      { from: 'a.ts', to: 'b.ts', typeOnly: true },
      { from: 'b.ts', to: 'a.ts', typeOnly: false },
      { from: 'b.ts', to: 'c.ts', typeOnly: false },
    ]);
    expect(circles).toEqual([['a.ts', 'b.ts']]);
  });
});
