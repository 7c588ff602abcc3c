/**
 * The simulator's virtual clock: events run in time order, and events at the same instant in the
 * order they were scheduled. An event may return a promise (the policy code it calls is async);
 * the next event waits for it, so the clock never moves while an event is still deciding.
 */
export class EventQueue {
  private readonly heap: { at: number; seq: number; run: () => unknown }[] = [];
  private seq = 0;
  /** Virtual epoch ms. */
  now: number;

  constructor(start = 0) {
    this.now = start;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Runs `run` at virtual time `at` (never earlier than now). */
  at(at: number, run: () => unknown): void {
    this.push({ at: Math.max(at, this.now), seq: this.seq++, run });
  }

  /** Runs `run` after `delayMs` of virtual time. */
  after(delayMs: number, run: () => unknown): void {
    this.at(this.now + delayMs, run);
  }

  /** Runs events in order until none is left or `done` says so. */
  async run(done: () => boolean = () => false): Promise<void> {
    while (this.heap.length > 0 && !done()) {
      const event = this.pop();
      this.now = event.at;
      const result = event.run();
      if (result instanceof Promise) await result;
    }
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    [heap[a], heap[b]] = [heap[b]!, heap[a]!];
  }

  private push(event: { at: number; seq: number; run: () => unknown }): void {
    this.heap.push(event);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): { at: number; seq: number; run: () => unknown } {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < this.heap.length && this.before(left, smallest)) smallest = left;
        if (right < this.heap.length && this.before(right, smallest)) smallest = right;
        if (smallest === i) break;
        this.swap(i, smallest);
        i = smallest;
      }
    }
    return top;
  }
}
