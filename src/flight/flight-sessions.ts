// Splits a run into flights by the vehicle's arming (MAVLink HEARTBEAT): each session has its own flight id and seq from 0.
//
// Frames are assigned in delivery order by their capture time: an arming or disarming takes effect for the first
// frame captured at or after the HEARTBEAT that showed it arrived. A session therefore starts with a frame, in
// order, and never interleaves with another; a live run and a replayed .tlog follow the same rule.
import type { Frame, FrameSource } from '../capture/frame-source.js';
import { wrapFrames } from '../capture/frame-wrapper.js';
import { armedFlightId, autoFlightId, landedFlightId } from '../platform/flight-id.js';

/** run = no arming information (one session per run); ground = disarmed (MAVLink); armed = arming to disarming. */
export type FlightSessionKind = 'run' | 'ground' | 'armed';

export interface FlightSession {
  flightId: string;
  kind: FlightSessionKind;
  startedAtMs: number;
  /** Set when the session is closed (the vehicle armed or disarmed, or the run ended). */
  endedAtMs: number | null;
  /** Frames assigned so far, which is the next frame's seq. */
  frames: number;
}

export interface ArmingEvent {
  armed: boolean;
  /** When the HEARTBEAT that showed the change arrived, on the clock frames are stamped with. */
  atMs: number;
}

export interface FlightSessionsOptions {
  /** The configured flightId: "auto" or an identifier. */
  configured: string;
  startedAtMs: number;
  /** True when arming events will drive sessions (MAVLink); false = one session for the whole run. */
  arming: boolean;
}

/** closed: the session that ended (endedAtMs set); opened: the one that starts (null at the end of the run). */
export type SessionChange = { closed: FlightSession | null; opened: FlightSession | null };

export class FlightSessions {
  #current: FlightSession;
  readonly #pending: ArmingEvent[] = [];
  readonly #listeners = new Set<(change: SessionChange) => void>();
  readonly #used = new Set<string>();
  readonly #all: FlightSession[] = [];
  #armings = 0;
  #ended = false;

  constructor(private readonly options: FlightSessionsOptions) {
    const id = options.configured === 'auto' ? autoFlightId(new Date(options.startedAtMs)) : options.configured;
    this.#current = this.#open(id, options.arming ? 'ground' : 'run', options.startedAtMs);
  }

  /** The session frames are assigned to now. */
  get current(): Readonly<FlightSession> {
    return this.#current;
  }

  /** Every session of the run so far, in order. */
  get all(): ReadonlyArray<Readonly<FlightSession>> {
    return this.#all;
  }

  /** Called with each change of session; returns the unsubscribe. */
  onChange(listener: (change: SessionChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** An arming or disarming, in arrival order; it takes effect with the first frame captured at or after atMs. */
  arming(event: ArmingEvent): void {
    if (!this.options.arming || this.#ended) return;
    this.#pending.push(event);
  }

  /** The frame renumbered within its session and labelled with its flight id; call in delivery order. */
  assign(frame: Frame): Frame {
    this.#advance(frame.capturedAtMs);
    const session = this.#current;
    return { ...frame, seq: session.frames++, flightId: session.flightId };
  }

  /** The same frames, in the same order, each assigned to its session. */
  tapFrames(source: FrameSource): FrameSource {
    // The one place a frame gets its seq: per flight, contiguous, after any live drop upstream.
    return wrapFrames(source, { step: (frame) => this.assign(frame) });
  }

  /** Ends the run: arming changes not yet passed by a frame still take effect, then the last session closes. */
  end(atMs: number): void {
    if (this.#ended) return;
    this.#advance(Infinity);
    this.#ended = true;
    const closed = this.#current;
    closed.endedAtMs = Math.max(atMs, closed.startedAtMs);
    this.#emit({ closed: { ...closed }, opened: null });
  }

  #advance(toMs: number): void {
    while (this.#pending.length > 0 && (this.#pending[0] as ArmingEvent).atMs <= toMs) {
      const event = this.#pending.shift() as ArmingEvent;
      const was = this.#current;
      if (event.armed && was.kind !== 'armed') {
        this.#armings++;
        this.#switchTo(armedFlightId(this.options.configured, this.#armings, event.atMs), 'armed', event.atMs);
      } else if (!event.armed && was.kind === 'armed') {
        this.#switchTo(landedFlightId(was.flightId), 'ground', event.atMs);
      }
    }
  }

  #switchTo(id: string, kind: FlightSessionKind, atMs: number): void {
    const closed = this.#current;
    // A frame captured before the HEARTBEAT may have been assigned after it: the session never ends before it began.
    closed.endedAtMs = Math.max(atMs, closed.startedAtMs);
    this.#current = this.#open(id, kind, Math.max(atMs, closed.startedAtMs));
    this.#emit({ closed: { ...closed }, opened: { ...this.#current } });
  }

  #open(wanted: string, kind: FlightSessionKind, startedAtMs: number): FlightSession {
    // Two armings in the same second would share an auto id: the second gets a suffix.
    let id = wanted;
    for (let k = 2; this.#used.has(id); k++) id = `${wanted}-${k}`;
    this.#used.add(id);
    const session: FlightSession = { flightId: id, kind, startedAtMs, endedAtMs: null, frames: 0 };
    this.#all.push(session);
    return session;
  }

  #emit(change: SessionChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
