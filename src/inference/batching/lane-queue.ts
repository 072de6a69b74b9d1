/**
 * Requests waiting for a batch: one FIFO per lane, lanes served in the order given (the first is the highest
 * priority). Removal from the middle (an expired deadline, a replaced frame) is a linear scan of one lane: lanes are
 * bounded by the batcher's `maxQueueSize`, so that stays cheap and keeps the order exact.
 */
export class LaneQueue<L extends string, T> {
  readonly #lanes = new Map<L, T[]>();
  #size = 0;

  constructor(lanes: readonly L[]) {
    for (const lane of lanes) this.#lanes.set(lane, []);
  }

  get size(): number {
    return this.#size;
  }

  hasLane(lane: L): boolean {
    return this.#lanes.has(lane);
  }

  sizeOf(lane: L): number {
    return this.#lanes.get(lane)?.length ?? 0;
  }

  push(lane: L, item: T): void {
    this.#lane(lane).push(item);
    this.#size += 1;
  }

  /** Puts `item` where `old` stood (same lane), so that it keeps `old`'s place in line. */
  replace(lane: L, old: T, item: T): boolean {
    const items = this.#lane(lane);
    const index = items.indexOf(old);
    if (index === -1) return false;
    items[index] = item;
    return true;
  }

  remove(lane: L, item: T): boolean {
    const items = this.#lane(lane);
    const index = items.indexOf(item);
    if (index === -1) return false;
    items.splice(index, 1);
    this.#size -= 1;
    return true;
  }

  /** The next item: the head of the highest lane that has one. */
  shift(): T | undefined {
    for (const items of this.#lanes.values()) {
      if (items.length === 0) continue;
      this.#size -= 1;
      return items.shift();
    }
    return undefined;
  }

  /** Each lane's head, the longest-waiting item of that lane. */
  *heads(): IterableIterator<T> {
    for (const items of this.#lanes.values()) {
      const head = items[0];
      if (head !== undefined) yield head;
    }
  }

  /** Empties the queue, returning everything that was in it, highest lane first. */
  clear(): T[] {
    const all = [...this.#lanes.values()].flatMap((items) => items.splice(0));
    this.#size = 0;
    return all;
  }

  #lane(lane: L): T[] {
    const items = this.#lanes.get(lane);
    if (items === undefined) throw new RangeError(`no lane ${lane}`);
    return items;
  }
}
