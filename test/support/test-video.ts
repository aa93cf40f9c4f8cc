// Test helper: a small real video (ffmpeg's test pattern, 160x120, 10 fps, 4 s, MPEG-4) for the import tests; a
// container creation_time on request, to show which clock an import trusts.
import { execFileSync } from 'node:child_process';

export function writeTestVideo(path: string, options: { creationTime?: string } = {}): void {
  const metadata = options.creationTime !== undefined ? ['-metadata', `creation_time=${options.creationTime}`] : [];
  execFileSync('ffmpeg', [
    '-nostdin',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=160x120:rate=10',
    '-t',
    '4',
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'mpeg4',
    ...metadata,
    path,
  ]);
}
