/**
 * Whether a node's REST requests compete for its event loop: the sign that decides if a search
 * walks its graph on the event loop or on a search thread.
 */

/** A connection as the probe sees it: only whether it is closed. */
export interface ProbedSocket {
  /** True once the connection is closed. */
  readonly destroyed: boolean;
}

/** How long one sign of concurrent requests keeps searches on the search threads. */
export const CONCURRENCY_HOLD_MS = 50;

/**
 * Tells whether requests compete for the event loop. Counting requests in flight is not enough:
 * while searches run on the event loop, the next client's request waits unread in its socket until
 * the current one is answered, so the count stays at one. Two signs are used: a request arriving
 * while another is in flight, and a request arriving on another connection than the previous
 * request's. A lone client on one keep-alive connection shows neither, however fast it is; an
 * earlier probe that read "a request right after the previous answer" as a backlog mistook a fast
 * lone client for many and sent its searches through the search threads' wake-ups for nothing.
 * Either sign keeps the verdict for CONCURRENCY_HOLD_MS.
 */
export class ConcurrencyProbe {
  private lastSocket: ProbedSocket | undefined;
  private concurrentUntilMs = Number.NEGATIVE_INFINITY;

  /** Records a request's arrival on `socket`, `inFlight` counting it. */
  arrived(inFlight: number, socket: ProbedSocket): void {
    // A client that opens a connection per request is alone too: its previous one is closed.
    const otherOpen = socket !== this.lastSocket && this.lastSocket !== undefined && !this.lastSocket.destroyed;
    if (inFlight > 1 || otherOpen) this.concurrentUntilMs = performance.now() + CONCURRENCY_HOLD_MS;
    this.lastSocket = socket;
  }

  /** True while a recent request showed concurrency. */
  get concurrent(): boolean {
    return performance.now() < this.concurrentUntilMs;
  }
}
