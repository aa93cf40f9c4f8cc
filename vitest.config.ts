// Test runner configuration: tests live in test/, mirror src/, and may start real brokers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // ResNet-18 sessions and brokers are heavy on a 2-core machine; files run one at a time.
    fileParallelism: false,
  },
});
