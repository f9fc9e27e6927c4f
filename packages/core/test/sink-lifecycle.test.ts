import { describe, expect, it } from 'vitest';
import { LifecycleSink, type ImageRecord, type SinkSummary } from '../src/index.js';

/** A sink whose every step is recorded, with an open() the test can hold. */
class RecordingSink extends LifecycleSink {
  readonly calls: string[] = [];
  gate: Promise<void> = Promise.resolve();
  constructor() {
    super('the test sink for x');
  }
  protected async openTarget() {
    await this.gate;
    this.calls.push('openTarget');
  }
  protected async writeBatch(batch: readonly ImageRecord[]) {
    this.calls.push(`writeBatch ${batch.length}`);
  }
  protected async finishTarget() {
    this.calls.push('finishTarget');
  }
  protected async publishTarget(): Promise<SinkSummary> {
    this.calls.push('publishTarget');
    return { type: 'test', target: 'x', records: 0, rejected: 0 };
  }
  protected async abortTarget() {
    this.calls.push('abortTarget');
  }
}

const one = [{} as ImageRecord];

describe('LifecycleSink: the Sink life cycle kept once for every sink', () => {
  it('runs open, write, prepare, close in order; an empty batch reaches no destination', async () => {
    const sink = new RecordingSink();
    await sink.open();
    await sink.write(one);
    await sink.write([]);
    await sink.prepare();
    await sink.close();
    expect(sink.calls).toEqual(['openTarget', 'writeBatch 1', 'finishTarget', 'publishTarget']);
  });

  it('close() without prepare() finishes first, as the contract allows', async () => {
    const sink = new RecordingSink();
    await sink.open();
    await sink.close();
    expect(sink.calls).toEqual(['openTarget', 'finishTarget', 'publishTarget']);
  });

  it('refuses calls out of order, naming the sink and its state', async () => {
    const sink = new RecordingSink();
    await expect(sink.write(one)).rejects.toThrow('the test sink for x is new, cannot write');
    await sink.open();
    await expect(sink.open()).rejects.toThrow('the test sink for x was already opened');
    await sink.close();
    await expect(sink.write(one)).rejects.toMatchObject({ code: 'QCS_SINK_FAILED', message: 'the test sink for x is closed, cannot write' });
    await expect(sink.prepare()).rejects.toThrow('is closed, cannot prepare');
  });

  it('abort() before open() touches nothing; after open() it undoes the destination once', async () => {
    const early = new RecordingSink();
    await early.abort(new Error('x'));
    expect(early.calls).toEqual([]);
    const late = new RecordingSink();
    await late.open();
    await late.write(one);
    await late.abort(new Error('x'));
    await late.abort(new Error('again'));
    expect(late.calls).toEqual(['openTarget', 'writeBatch 1', 'abortTarget']);
    await expect(late.close()).rejects.toThrow('is aborted, cannot close');
  });

  it('abort() while open() is creating the destination: open() undoes it instead of leaving it behind', async () => {
    const sink = new RecordingSink();
    let release!: () => void;
    sink.gate = new Promise((r) => (release = r));
    const opening = sink.open();
    await sink.abort(new Error('Ctrl-C'));
    release();
    await opening;
    expect(sink.calls).toEqual(['openTarget', 'abortTarget']);
    await expect(sink.write(one)).rejects.toThrow('is aborted, cannot write');
  });
});
