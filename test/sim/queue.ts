/** A binary min-heap of timed events, ordered by (time, insertion sequence) so runs are deterministic. */

interface Slot<T> {
  readonly timeMs: number;
  readonly seq: number;
  readonly item: T;
}

/** Priority queue keyed by simulated time; ties pop in insertion order. */
export class EventQueue<T> {
  private readonly heap: Slot<T>[] = [];
  private seq = 0;

  /** Number of queued events. */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules `item` at `timeMs`. */
  push(timeMs: number, item: T): void {
    const heap = this.heap;
    heap.push({ timeMs, seq: this.seq++, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Removes and returns the earliest event. */
  pop(): { timeMs: number; item: T } | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return { timeMs: top.timeMs, item: top.item };
  }
}

function less<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}
