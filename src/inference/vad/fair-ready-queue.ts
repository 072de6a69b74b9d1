/**
 * The VAD batcher's streams ready for the next batch, grouped by owner (one StreamAudio call, one recording), taken
 * round-robin across groups: a call with 128 busy streams fills the rows the others leave, but every other call
 * still gets a row in each batch, so no call can starve another of VAD time. Within a group, oldest first.
 */
export class FairReadyQueue<T extends { readonly group: string }> {
  /** Insertion order is service order: a group served moves to the back. */
  readonly #groups = new Map<string, Set<T>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(entry: T): void {
    let members = this.#groups.get(entry.group);
    if (members === undefined) {
      members = new Set();
      this.#groups.set(entry.group, members);
    }
    if (members.has(entry)) return;
    members.add(entry);
    this.#size += 1;
  }

  delete(entry: T): void {
    const members = this.#groups.get(entry.group);
    if (members === undefined || !members.delete(entry)) return;
    this.#size -= 1;
    if (members.size === 0) this.#groups.delete(entry.group);
  }

  *entries(): IterableIterator<T> {
    for (const members of this.#groups.values()) yield* members;
  }

  /** Up to `max` entries, one per group per round; each is removed from the queue. */
  take(max: number): T[] {
    const taken: T[] = [];
    while (taken.length < max && this.#size > 0) {
      for (const [group, members] of [...this.#groups]) {
        if (taken.length >= max) break;
        const first = members.values().next();
        if (first.done === true) continue;
        members.delete(first.value);
        this.#size -= 1;
        taken.push(first.value);
        // Served: to the back of the line, so a batch cut short by `max` starts with the groups it skipped.
        this.#groups.delete(group);
        if (members.size > 0) this.#groups.set(group, members);
      }
    }
    return taken;
  }
}
