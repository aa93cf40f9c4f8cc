// A Sink that appends one JSON line per result to a local file, for replays, audits and offline export.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from '../platform/logger.js';
import type { Result } from './result-schema.js';
import type { Sink } from './sink.js';
import { assertValidResult } from './result-encoding.js';

export interface JsonlSinkOptions {
  /** File to append to; parent directories are created. */
  path: string;
}

export class JsonlSink implements Sink {
  readonly name = 'jsonl';
  readonly path: string;
  readonly #handle: FileHandle;
  readonly #logger: Logger;
  /** Writes are chained so lines land in call order even when callers do not await each write. */
  #tail: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #written = 0;

  private constructor(path: string, handle: FileHandle, logger: Logger) {
    this.path = path;
    this.#handle = handle;
    this.#logger = logger;
  }

  static async open(options: JsonlSinkOptions, logger: Logger): Promise<JsonlSink> {
    const path = resolve(options.path);
    try {
      await mkdir(dirname(path), { recursive: true });
      // 'a': never truncate an earlier run's results; O_APPEND also keeps each line whole.
      const handle = await open(path, 'a');
      logger.info({ path }, 'jsonl sink: appending results');
      return new JsonlSink(path, handle, logger);
    } catch (error) {
      throw new Error(`jsonl: cannot open ${path} for appending (${describe(error)}); check that the directory is writable or set sinks.jsonl.path`, {
        cause: error,
      });
    }
  }

  write(result: Result): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new Error(`jsonl: write to ${this.path} after close (seq ${result.seq}); this is a bug in the caller`));
    }
    try {
      assertValidResult(result, 'jsonl');
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const line = `${JSON.stringify(result)}\n`;
    const done = this.#tail.then(async () => {
      try {
        await this.#handle.appendFile(line, 'utf8');
        this.#written += 1;
      } catch (error) {
        throw new Error(`jsonl: cannot write result seq ${result.seq} to ${this.path} (${describe(error)}); check free space and permissions`, {
          cause: error,
        });
      }
    });
    // A failed line must not poison the lines after it: the chain continues, the caller gets the error.
    this.#tail = done.catch(() => undefined);
    return done;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#tail;
      try {
        // On the drone the file is on an SD card: make the lines durable before saying we are done.
        await this.#handle.datasync();
      } catch (error) {
        this.#logger.warn({ path: this.path, err: describe(error) }, 'jsonl sink: datasync failed on close');
      } finally {
        await this.#handle.close();
      }
      this.#logger.info({ path: this.path, lines: this.#written }, 'jsonl sink closed');
    })();
    return this.#closing;
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.startsWith(code) ? `${code}: ${message}` : message;
}
