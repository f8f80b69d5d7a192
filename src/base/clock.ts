/**
 * Time as an injected dependency. Decision logic reads a Clock so that the simulator can drive
 * it; only the composition root (src/server) wires the real one.
 */

/** A source of time in milliseconds. */
export interface Clock {
  /** Monotonic milliseconds, for durations and timeouts. */
  nowMs(): number;
  /** Wall-clock milliseconds since the Unix epoch, for timestamps shown to people. */
  wallMs(): number;
}

/** The real clock of the process. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  wallMs: () => Date.now(),
};
