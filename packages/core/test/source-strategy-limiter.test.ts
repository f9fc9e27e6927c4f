import { describe, expect, it } from 'vitest';
import { AbortedError } from '../src/index.js';
import { Limiter } from '../src/source/limiter.js';

/** A task the test finishes by hand, so what runs when is decided by the test, not by timers. */
function gate<T>() {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}
const settle = () => new Promise((r) => setImmediate(r));

describe('Limiter (the one bound on requests in flight)', () => {
  it('runs at most `limit` tasks at once and starts the waiting ones first come, first served', async () => {
    const limiter = new Limiter(2);
    const gates = Array.from({ length: 5 }, () => gate<number>());
    const started: number[] = [];
    const results = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        return g.promise;
      }),
    );
    await settle();
    expect(started).toEqual([0, 1]);
    expect(limiter.active).toBe(2);
    gates[1]?.open(1);
    await settle();
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.open(0);
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    // A newcomer queues behind the waiting task rather than taking the slot a finishing task hands on.
    const late = limiter.run(async () => {
      started.push(99);
      return 99;
    });
    gates[2]?.open(2);
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3]?.open(3);
    gates[4]?.open(4);
    expect(await Promise.all([...results, late])).toEqual([0, 1, 2, 3, 4, 99]);
    expect(started).toEqual([0, 1, 2, 3, 4, 99]);
    expect(limiter.active).toBe(0);
  });

  it('keeps going after a failure by default: one failed task fails alone', async () => {
    const limiter = new Limiter(1);
    const failed = limiter.run(async () => {
      throw new Error('one probe failed');
    });
    const next = limiter.run(async () => 'next');
    await expect(failed).rejects.toThrow('one probe failed');
    await expect(next).resolves.toBe('next');
  });

  it('with stopOnFailure, the tasks still waiting fail with the first error and never start', async () => {
    const limiter = new Limiter(1, { stopOnFailure: true });
    const first = gate<string>();
    let startedAfter = 0;
    const failing = limiter.run(() => first.promise);
    const waiting = [1, 2, 3].map(() =>
      limiter.run(async () => {
        startedAfter++;
        return 'ran';
      }),
    );
    first.fail(new Error('HTTP 500 on image 1'));
    await expect(failing).rejects.toThrow('HTTP 500 on image 1');
    for (const w of waiting) await expect(w).rejects.toThrow('HTTP 500 on image 1');
    expect(startedAfter).toBe(0);
    expect(limiter.active).toBe(0);
  });

  it('after close() or an abort, a task whose turn comes fails with AbortedError instead of starting', async () => {
    const closing = new Limiter(1);
    const running = gate<string>();
    const first = closing.run(() => running.promise);
    let ran = false;
    const queued = closing.run(async () => {
      ran = true;
    });
    closing.close();
    running.open('done');
    await expect(first).resolves.toBe('done');
    await expect(queued).rejects.toBeInstanceOf(AbortedError);
    await expect(closing.run(async () => 'late')).rejects.toBeInstanceOf(AbortedError);
    expect(ran).toBe(false);

    const controller = new AbortController();
    const aborting = new Limiter(3, { signal: controller.signal });
    controller.abort();
    await expect(aborting.run(async () => 'never')).rejects.toBeInstanceOf(AbortedError);
  });
});
