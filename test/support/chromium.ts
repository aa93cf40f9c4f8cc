// Test helper: Debian's /usr/bin/chromium driven by playwright-core (no downloaded browsers), with the flags
// that work headless as root in a container.
import { access } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

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

/** A new page on a dashboard URL, its script errors and console errors collected into `errors`, returned once its event stream is live. */
export async function openLiveDashboardPage(browser: Browser, url: string, errors: string[], viewport = { width: 1400, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  await page.locator('#fe-stream[data-state="live"]').waitFor();
  return page;
}
