// Test runner configuration: tests live in test/, mirror src/, and may start real brokers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: two files share the 2 cores, and a test that waits on a broker or a child process must not fail
    // because its neighbour was classifying at the time (tests never assert timings).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two files at a time: most of the suite's wall time is spent waiting (broker outages, silent telemetry links,
    // child processes, qemu), which the other file fills; measured 762 s one at a time, 338 s two at a time on a
    // 2-core machine. Every test makes its own ports, temp dirs and brokers; shared caches are written by rename.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
