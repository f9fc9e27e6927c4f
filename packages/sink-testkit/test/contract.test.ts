import { describe, expect, it } from 'vitest';
import type { ImageRecord, Sink, SinkSummary } from '@qcs-export/core';
import { contractCases, runSinkContract, type SinkContractHarness } from '../src/index.js';

/** An in-memory sink: a committed list and a pending one, to exercise the contract itself. */
/** What a JSON destination holds for a record: the record through JSON. */
const asJson = (r: ImageRecord) => JSON.parse(JSON.stringify(r)) as { sha: string } & Record<string, unknown>;

function memoryHarness(flaw?: 'drops-a-record' | 'keeps-on-abort' | 'visible-early' | 'mangles-a-field'): SinkContractHarness {
  return {
    name: `memory sink${flaw ? ` (${flaw})` : ''}`,
    commit: 'atomic',
    expected: asJson,
    async setup() {
      let pending: ImageRecord[] | undefined;
      let committed: ImageRecord[] | undefined;
      let aborted = false;
      const sink: Sink = {
        async open() {
          pending = [];
        },
        async write(batch) {
          if (aborted || !pending) throw new Error('not open');
          const kept = flaw === 'drops-a-record' ? batch.slice(1) : batch;
          // A sink that writes every sha but loses a character of another field, as a bad escape would.
          pending.push(...(flaw === 'mangles-a-field' ? kept.map((r) => ({ ...r, scanErrorMessage: r.scanErrorMessage?.slice(1) ?? null })) : kept));
          if (flaw === 'visible-early') committed = pending;
        },
        async close(): Promise<SinkSummary> {
          committed = pending ?? [];
          return { type: 'memory', target: 'memory', records: committed.length, rejected: 0 };
        },
        async abort() {
          aborted = true;
          if (flaw !== 'keeps-on-abort') pending = undefined;
        },
      };
      return {
        sink,
        async readBack() {
          if (!committed) throw new Error('nothing committed');
          return committed.map(asJson);
        },
        async leftovers() {
          return pending ? ['pending'] : [];
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
});
