// The exit statuses of `fieldeye`, so that systemd and scripts can tell a fault that a restart may cure from one it cannot.

export const EXIT = {
  ok: 0,
  /** Something failed that may go away (a camera that vanished, a crash): systemd restarts the service. */
  failure: 1,
  /** A limit was passed (`fieldeye diff`), for CI guards. */
  limit: 2,
  /** The flight ran, but the broker refused results or swallowed what it acknowledged: not a clean flight. */
  delivery: 3,
  /** sysexits' EX_CONFIG: the configuration is wrong; restarting cannot help (the unit's RestartPreventExitStatus). */
  config: 78,
} as const;
