/**
 * While minictr waits for a process in a container, the signals a user sends to minictr
 * (Ctrl-C without a tty, kill, a closing terminal) are passed on to that process. For a
 * container that is its PID 1, minictr-init, which passes them on to the command.
 */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export function signalProcess(pid: number, sig: NodeJS.Signals | number): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Start forwarding; the returned function stops it. */
export function forwardSignals(pid: number): () => void {
  const handlers = FORWARDED.map((sig) => {
    const h = (): void => signalProcess(pid, sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
