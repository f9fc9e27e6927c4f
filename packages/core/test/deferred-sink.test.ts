import { describe, expect, it } from 'vitest';
import { deferredSink, type ImageRecord, type Sink } from '../src/index.js';

function recordingSink(calls: string[]): Sink {
  return {
    open: async () => void calls.push('open'),
    write: async (batch: readonly ImageRecord[]) => void calls.push(`write ${batch.length}`),
    prepare: async () => void calls.push('prepare'),
    close: async () => {
      calls.push('close');
      return { type: 't', target: 'x', records: 1, rejected: 0 };
    },
    rollback: async () => void calls.push('rollback'),
    settle: async () => void calls.push('settle'),
    abort: async () => void calls.push('abort'),
  };
}

describe('deferredSink', () => {
  it('loads the implementation at open(), once, and passes every later call through', async () => {
    const calls: string[] = [];
    let loads = 0;
    const sink = deferredSink(async () => {
      loads++;
      return recordingSink(calls);
    });
    expect(loads).toBe(0);
    await sink.open();
    await sink.write([{} as ImageRecord]);
    await sink.prepare?.();
    await expect(sink.close()).resolves.toMatchObject({ records: 1 });
    expect(loads).toBe(1);
    expect(calls).toEqual(['open', 'write 1', 'prepare', 'close']);
  });

  it('passes rollback() and settle() through, so the run can undo or settle a published output', async () => {
    const calls: string[] = [];
    const sink = deferredSink(async () => recordingSink(calls));
    await sink.open();
    await sink.close();
    await sink.rollback?.();
    await sink.settle?.();
    expect(calls).toEqual(['open', 'close', 'rollback', 'settle']);
  });

  it('abort() before open() loads nothing', async () => {
    let loads = 0;
    const sink = deferredSink(async () => {
      loads++;
      return recordingSink([]);
    });
    await sink.abort(new Error('stop'));
    expect(loads).toBe(0);
  });

  it('a failed load fails open() with its error, and abort() afterwards still settles', async () => {
    const sink = deferredSink(async () => Promise.reject(new Error('cannot load exceljs')));
    await expect(sink.open()).rejects.toThrow('cannot load exceljs');
    await expect(sink.abort(new Error('x'))).resolves.toBeUndefined();
  });

  it('abort() during a slow open() aborts the real sink once it has loaded', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const sink = deferredSink(() => new Promise<Sink>((resolve) => (release = () => resolve(recordingSink(calls)))));
    const opening = sink.open();
    const aborting = sink.abort(new Error('Ctrl-C'));
    release();
    await opening;
    await aborting;
    expect(calls).toContain('abort');
  });
});
