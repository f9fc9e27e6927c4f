import { describe, expect, it } from 'vitest';
import type { ImageRecord, Sink, SinkSummary } from '@qcs-export/core';
import { contractCases, publishContractCases, runSinkContract, type SinkContractHarness } from '../src/index.js';

/** An in-memory sink: a committed list and a pending one, to exercise the contract itself. */
/** What a JSON destination holds for a record: the record through JSON. */
const asJson = (r: ImageRecord) => JSON.parse(JSON.stringify(r)) as { sha: string } & Record<string, unknown>;

type Flaw = 'drops-a-record' | 'keeps-on-abort' | 'visible-early' | 'mangles-a-field' | 'rollback-keeps-new' | 'uncounted' | 'publishes-half';

/**
 * One destination for every run of the harness: what is committed, and what close() kept for a rollback, as a file
 * sink's final file and its backup.
 */
interface MemoryDestination {
  committed: ImageRecord[] | undefined;
  kept: ImageRecord[] | undefined | 'nothing';
  obstructed: boolean;
  pending: number;
}

function memorySink(dest: MemoryDestination, flaw: Flaw | undefined): Sink {
  let pending: ImageRecord[] | undefined;
  let aborted = false;
  let delivered = 0;
  return {
    async open() {
      pending = [];
      dest.pending++;
    },
    async write(batch) {
      if (aborted || !pending) throw new Error('not open');
      delivered += batch.length;
      const kept = flaw === 'drops-a-record' ? batch.slice(1) : batch;
      // A sink that writes every sha but loses a character of another field, as a bad escape would.
      pending.push(...(flaw === 'mangles-a-field' ? kept.map((r) => ({ ...r, scanErrorMessage: r.scanErrorMessage?.slice(1) ?? null })) : kept));
      if (flaw === 'visible-early') dest.committed = pending;
    },
    async close(): Promise<SinkSummary> {
      if (dest.obstructed) {
        // A sink that replaces its output although publishing then fails.
        if (flaw === 'publishes-half') dest.committed = pending;
        throw new Error('publish failed');
      }
      dest.kept = dest.committed ?? 'nothing';
      const published = dest.committed ? 'replaced' : 'created';
      dest.committed = pending ?? [];
      pending = undefined;
      dest.pending--;
      const records = dest.committed.length;
      return { type: 'memory', target: 'memory', records, rejected: 0, delivered: flaw === 'uncounted' ? 0 : delivered, published };
    },
    async rollback() {
      if (flaw !== 'rollback-keeps-new') dest.committed = dest.kept === 'nothing' ? undefined : dest.kept;
      dest.kept = undefined;
    },
    async settle() {
      dest.kept = undefined;
    },
    async abort() {
      aborted = true;
      if (pending && flaw !== 'keeps-on-abort') {
        pending = undefined;
        dest.pending--;
      }
    },
  };
}

function memoryHarness(flaw?: Flaw): SinkContractHarness {
  return {
    name: `memory sink${flaw ? ` (${flaw})` : ''}`,
    commit: 'atomic',
    expected: asJson,
    async setup() {
      const dest: MemoryDestination = { committed: undefined, kept: undefined, obstructed: false, pending: 0 };
      return {
        sink: memorySink(dest, flaw),
        another: () => memorySink(dest, flaw),
        async readBack() {
          if (!dest.committed) throw new Error('nothing committed');
          return dest.committed.map(asJson);
        },
        async leftovers() {
          return [...(dest.committed ? ['committed'] : []), ...(dest.kept ? ['kept'] : []), ...(dest.pending > 0 ? ['pending'] : [])];
        },
        async snapshot() {
          return { committed: JSON.stringify(dest.committed ?? null), kept: JSON.stringify(dest.kept ?? null), pending: String(dest.pending) };
        },
        async obstructPublish() {
          dest.obstructed = true;
          return async () => {
            dest.obstructed = false;
          };
        },
        async teardown() {},
      };
    },
  };
}

runSinkContract(memoryHarness());

/** One case of the suite, by name; a renamed case fails here rather than passing vacuously. */
function contractCase(name: string) {
  const run = contractCases[name];
  if (!run) throw new Error(`no contract case named "${name}"`);
  return run;
}

function publishCase(name: string) {
  const run = publishContractCases[name];
  if (!run) throw new Error(`no publish case named "${name}"`);
  return run;
}

describe('the contract suite catches broken sinks', () => {
  it('fails a sink that drops a record', async () => {
    await expect(contractCase('writes every record of every batch exactly once, in order')(memoryHarness('drops-a-record'))).rejects.toThrow();
  });
  it('fails a sink that leaves output behind on abort', async () => {
    await expect(contractCase('leaves nothing behind when aborted after writes')(memoryHarness('keeps-on-abort'))).rejects.toThrow();
  });
  it('fails a sink that keeps every sha but mangles another field', async () => {
    await expect(contractCase('round-trips hostile values and does not mutate the batches it is given')(memoryHarness('mangles-a-field'))).rejects.toThrow(
      /the row of/,
    );
  });
  it('fails a sink whose output is visible before close', async () => {
    await expect(contractCase('shows nothing under the final name before close()')(memoryHarness('visible-early'))).rejects.toThrow();
  });
  it('fails a sink whose rollback() keeps the new output', async () => {
    const rollback = publishCase('rollback() after close() puts the previous output back, byte for byte, and leaves nothing else');
    await expect(rollback(memoryHarness('rollback-keeps-new'))).rejects.toThrow();
    await expect(publishCase('rollback() of a first output leaves nothing behind')(memoryHarness('rollback-keeps-new'))).rejects.toThrow();
  });
  it('fails a sink that does not count what it was given', async () => {
    await expect(publishCase('accounts for every record it was given: records + rejected === delivered')(memoryHarness('uncounted'))).rejects.toThrow(
      /countDelivered/,
    );
  });
  it('fails a sink that replaces its output although its publish failed', async () => {
    const name = 'all or nothing: when the last of three sinks fails to publish, the others roll back byte for byte and nothing is left';
    await expect(publishCase(name)(memoryHarness('publishes-half'))).rejects.toThrow(/destination 3/);
  });
});
