// The private folder of rpicam-vid's side streams: the timestamps FIFO (--save-pts) and, when rpicam-vid can write
// it, the per-frame metadata FIFO (--metadata); each run opens them anew.
import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class RpicamFifos {
  readonly ptsPath: string;
  /** Null when the program is not known to take --metadata. */
  readonly metadataPath: string | null;
  private readonly dir: string;

  constructor(withMetadata: boolean) {
    this.dir = mkdtempSync(join(tmpdir(), 'fieldeye-rpicam-'));
    this.ptsPath = join(this.dir, 'pts.fifo');
    this.metadataPath = withMetadata ? join(this.dir, 'metadata.fifo') : null;
    // FIFOs, not pipes on fd 3 and 4: Node's extra stdio "pipes" are socketpairs, which rpicam-vid cannot fopen
    // through /dev/fd. mkfifo is coreutils (always there); Node has no mkfifo of its own.
    for (const path of [this.ptsPath, this.metadataPath]) if (path !== null) execFileSync('mkfifo', ['-m', '600', path]);
  }

  /**
   * A FIFO opened for reading: read-write, so the open neither blocks waiting for a writer nor sees end-of-file
   * between runs; non-blocking, so libuv can poll it like any pipe.
   */
  static open(path: string): Socket {
    return new Socket({ fd: openSync(path, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
