/**
 * `promise`'s value, or `fallback` once `timeoutMs` passed first; a rejection before then passes through. The timer
 * is cleared either way, so a settled wait leaves nothing behind. Every bounded wait of the engine goes through here
 * (a drain, a ping, a thread's exit, a scrape of a pool).
 */
export async function orAfter<T, F>(promise: Promise<T>, timeoutMs: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), timeoutMs);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
