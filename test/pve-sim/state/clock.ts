/**
 * The simulator's clock: real time plus an offset tests can advance, so that ticket expiry (2 h)
 * can be tested without waiting. Timers (task durations, installs) use real time, scaled by the
 * options; only wall-clock checks read this clock.
 */
export class SimClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Seconds since the epoch, as PVE uses in UPIDs and tickets. */
  epoch(): number {
    return Math.floor(this.now() / 1000);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
