/**
 * Holds requests unanswered until the test says so. After `hold(after)` the next `after` requests are answered as
 * usual and every later one waits (counted and logged as it arrives) until `release()`. A test that interrupts a
 * run mid-crawl, or starts a second run while the first holds a lock, then waits for the run instead of racing it:
 * the run is blocked on a request however fast or slow the machine is, with no data set large enough to outlast a
 * timer. close() drops the held requests with their connections.
 */
export class Gate {
  /** Requests still answered before the gate shuts; undefined while it is open. */
  private answerBeforeHold: number | undefined;
  private readonly waiting: Array<() => void> = [];

  hold(after: number): void {
    if (!Number.isInteger(after) || after < 0) throw new RangeError(`hold(after): a whole number of requests of at least 0, got ${after}`);
    this.answerBeforeHold = after;
  }

  /** Answers every held request and lets later ones through. */
  release(): void {
    this.answerBeforeHold = undefined;
    for (const resume of this.waiting.splice(0)) resume();
  }

  /** Requests waiting now. */
  get held(): number {
    return this.waiting.length;
  }

  /** Undefined when this request may be answered now, else a promise that settles when it may. */
  pass(): Promise<void> | undefined {
    if (this.answerBeforeHold === undefined) return undefined;
    if (this.answerBeforeHold > 0) {
      this.answerBeforeHold--;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
