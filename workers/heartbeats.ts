/** Something that renews itself on each heartbeat: a running attempt. */
export interface Beating {
  beat(): Promise<void>;
}

/**
 * One heartbeat timer for the whole worker rather than one per attempt: every interval, each
 * running attempt beats. An attempt's first beat comes within an interval of its start, never
 * later, so its lease is renewed as often as with a timer of its own. The timer runs only while
 * some attempt does.
 */
export class Heartbeats {
  private readonly beating = new Set<Beating>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  add(attempt: Beating): void {
    this.beating.add(attempt);
    this.timer ??= setInterval(() => {
      for (const each of this.beating) void each.beat();
    }, this.intervalMs);
  }

  delete(attempt: Beating): void {
    this.beating.delete(attempt);
    if (this.beating.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
