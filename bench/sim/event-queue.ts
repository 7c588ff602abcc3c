import { Heap } from './heap.ts';

interface ScheduledEvent {
  at: number;
  seq: number;
  run: () => unknown;
}

/**
 * The simulator's virtual clock: events run in time order, and events at the same instant in the
 * order they were scheduled. An event may return a promise (the policy code it calls is async);
 * the next event waits for it, so the clock never moves while an event is still deciding.
 */
export class EventQueue {
  private readonly heap = new Heap<ScheduledEvent>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;
  /** Virtual epoch ms. */
  now: number;

  constructor(start = 0) {
    this.now = start;
  }

  get size(): number {
    return this.heap.size;
  }

  /** Runs `run` at virtual time `at` (never earlier than now). */
  at(at: number, run: () => unknown): void {
    this.heap.push({ at: Math.max(at, this.now), seq: this.seq++, run });
  }

  /** Runs `run` after `delayMs` of virtual time. */
  after(delayMs: number, run: () => unknown): void {
    this.at(this.now + delayMs, run);
  }

  /** Runs events in order until none is left or `done` says so. */
  async run(done: () => boolean = () => false): Promise<void> {
    while (this.heap.size > 0 && !done()) {
      const event = this.heap.pop()!;
      this.now = event.at;
      const result = event.run();
      if (result instanceof Promise) await result;
    }
  }
}
