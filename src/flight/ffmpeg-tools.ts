// ffmpeg and ffprobe for `fieldeye import video`: one-shot probes, and the frame decode with its progress as it runs.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

function notFound(name: string, err: unknown): Error {
  return new Error(`${name} not found: install it (Debian package ffmpeg) to import videos`, { cause: err });
}

/** Runs ffmpeg or ffprobe to the end and returns its stdout; a failure names the tool, the file and its last words. */
export async function ffTool(name: 'ffmpeg' | 'ffprobe', args: string[]): Promise<string> {
  try {
    return (await run(name, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw notFound(name, err);
    throw new Error(`${name} failed on ${args.at(-1)}: ${(e.stderr ?? e.message).trim().split('\n').slice(-2).join(' ')}`, { cause: err });
  }
}

/** The container's duration in seconds (what a progress bar counts to); null when ffprobe cannot tell (the decode says why). */
export async function videoDurationS(video: string): Promise<number | null> {
  try {
    const s = Number((await ffTool('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', video])).trim());
    return Number.isFinite(s) && s > 0 ? s : null;
  } catch {
    return null;
  }
}

/**
 * Decodes `video` at `fps` frames a second into numbered JPEGs (`pattern`, e.g. DIR/%06d.jpg), calling `onSeconds`
 * with the video time reached as ffmpeg reports it (-progress on stdout, a key=value block about twice a second).
 */
export function decodeJpegs(video: string, fps: number, pattern: string, onSeconds: (s: number) => void): Promise<void> {
  const args = ['-nostdin', '-v', 'error', '-nostats', '-progress', 'pipe:1', '-i', video, '-vf', `fps=${fps}`, '-q:v', '3', pattern];
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let pending = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4096)));
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // out_time_us is the output's time, which the fps filter keeps on the input's clock.
        const m = /^out_time_us=(\d+)/.exec(line);
        if (m) onSeconds(Number(m[1]) / 1e6);
      }
    });
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? notFound('ffmpeg', err) : err));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else {
        const words = stderr.trim().split('\n').slice(-2).join(' ') || `exit ${code ?? signal}`;
        reject(new Error(`${video}: ffmpeg could not decode it; is it a video? (${words})`));
      }
    });
  });
}
