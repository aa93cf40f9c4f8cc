// Test helper: Debian's /usr/bin/chromium driven by playwright-core (no downloaded browsers), with the flags
// that work headless as root in a container.
import { access } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_BIN = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM_BIN, fsConstants.X_OK);
  } catch {
    throw new Error(`launchChromium: ${CHROMIUM_BIN} not found; run 'bash .ci/install-test-deps.sh' (or: apt-get install chromium)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
