/**
 * The time `fn` takes in ms: the lower of CPU time (waiting for a core on a shared machine does
 * not count) and wall time (the collector's helper threads do not count). For tests that bound
 * how an algorithm grows, not how fast a machine is.
 */
export function costMs(fn: () => void): number {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  fn();
  const elapsed = performance.now() - wall;
  const { user, system } = process.cpuUsage(cpu);
  return Math.min(elapsed, (user + system) / 1000);
}

/** The best of `runs` {@link costMs}: a pause (GC, a busy machine) only ever adds time. */
export function bestCostMs(fn: () => void, runs = 5): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) min = Math.min(min, costMs(fn));
  return min;
}
