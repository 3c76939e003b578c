/**
 * Errors a user sees. Every failure that reaches the CLI is a MinictrError (or a subclass):
 * its message is the one line printed after "minictr: ", and exitCode is the process status.
 * Anything else that escapes is a bug and is printed with its stack.
 */
import type { BrokenRecord } from './util/broken.js';

export class MinictrError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Stopped by a signal (Ctrl-C: SIGINT); the status is the shell's, 128 + the signal's number. */
export class InterruptedError extends MinictrError {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM' = 'SIGINT') {
    super(`interrupted by ${signal}`, signal === 'SIGTERM' ? 143 : 130);
  }
}

/** Bad flags, names or arguments: nothing was changed on the system. */
export class UsageError extends MinictrError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Something named by the user does not exist (image, container, namespace, file). */
export class NotFoundError extends MinictrError {}

/** The thing already exists or is in use (duplicate name, image in use). */
export class ConflictError extends MinictrError {}

/** compose up: a service's dependency did not become healthy. As Docker Compose v2 does, up
 * stops there and leaves what it started running (nothing is rolled back). */
export class DependencyFailedError extends MinictrError {}

/** A host command (ip, ovs-vsctl, tar, ...) failed; the message names the command. */
export class CommandError extends MinictrError {
  constructor(
    readonly command: string,
    readonly stderr: string,
    exitCode = 1,
  ) {
    const detail = stderr.trim().split('\n').filter(Boolean).pop() ?? 'failed';
    super(`${command}: ${detail}`, exitCode);
  }
}

/** A record on disk that cannot be read: named with its path, and kept. */
export class BrokenRecordError extends MinictrError {
  constructor(readonly record: BrokenRecord) {
    super(`${record.kind} record ${record.path} is broken (${record.problem}): ${record.fix}`);
  }
}
