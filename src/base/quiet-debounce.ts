/**
 * Runs a task once a stream of events goes quiet: `quietMs` after the last event, and at least
 * every `intervalMaxMs` while events keep coming, never two runs at once. Its timer never keeps
 * the process alive.
 */
export class QuietDebounce {
  private timer: NodeJS.Timeout | undefined;
  private dueMs = 0;
  private burstStartMs = 0;
  private running = false;

  /**
   * @param task what to run; a rejection is ignored (the next burst tries again)
   * @param quietMs how long events must pause before the task runs
   * @param intervalMaxMs the longest wait from a burst's first event to a run
   * @param now the clock, in milliseconds (injectable for tests)
   */
  constructor(
    private readonly task: () => Promise<unknown>,
    private readonly quietMs: number,
    private readonly intervalMaxMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records an event: the task runs quietMs from now, or sooner if the burst is old. */
  poke(): void {
    const nowMs = this.now();
    const armed = this.timer !== undefined;
    if (!armed) this.burstStartMs = nowMs;
    this.dueMs = Math.min(nowMs + this.quietMs, this.burstStartMs + this.intervalMaxMs);
    if (!armed) this.arm(nowMs);
  }

  private arm(nowMs: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.dueMs - nowMs));
    this.timer.unref();
  }

  private fire(): void {
    const nowMs = this.now();
    if (nowMs < this.dueMs) {
      this.arm(nowMs);
      return;
    }
    this.timer = undefined;
    if (this.running) return;
    this.running = true;
    void this.task()
      .catch(() => undefined)
      .finally(() => {
        this.running = false;
      });
  }
}
