// The resources a composition root opened, closed in reverse order of opening, each failure logged and the rest still closed.
import type { Logger } from '../platform/logger.js';

export class CleanupStack {
  readonly #steps: Array<() => Promise<void>> = [];

  push(step: () => Promise<void> | void): void {
    this.#steps.push(async () => {
      await step();
    });
  }

  /** Last opened, first closed: the pipeline's sinks close before the link and the sources they read from. */
  async closeAll(log: Logger): Promise<void> {
    // Taken out first: a second closeAll while this one runs finds nothing left to close twice.
    for (const close of this.#steps.splice(0).reverse()) {
      await close().catch((err: Error) => log.warn({ err: err.message }, 'error while shutting down'));
    }
  }
}
