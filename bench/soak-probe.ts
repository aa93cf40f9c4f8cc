// Loaded with `node --import` into the process `npm run soak` (or the memory bench) watches: reports its V8 heap to the soak over the IPC channel (the product itself is not changed for the soak).
// SOAK_PROBE_INTERVAL_MS: the memory bench samples every second; the soak every 5 s is plenty.
const PROBE_INTERVAL_MS = Number(process.env['SOAK_PROBE_INTERVAL_MS'] ?? 5_000);

if (typeof process.send === 'function') {
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    process.send?.({ heapUsed: m.heapUsed, rss: m.rss });
  }, PROBE_INTERVAL_MS);
  // Never keep the watched process alive, and never let the IPC channel outlive it.
  timer.unref();
  process.channel?.unref();
}
