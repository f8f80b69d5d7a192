/**
 * Assertions for invariants that must never break. They stay on in production: a broken
 * invariant means the process's state can no longer be trusted, so it crashes loudly instead of
 * corrupting data (TigerBeetle's habit). Client mistakes are never asserted; they are validated.
 */

/** Error thrown when an internal invariant is violated. */
export class AssertionError extends Error {
  /** Creates an assertion failure with the given message. */
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionError';
  }
}

/**
 * Crashes with `message` unless `condition` holds. On hot paths pass the message as a function:
 * a template literal argument is built on every call, failing or not.
 */
export function assert(condition: unknown, message: string | (() => string) = 'invariant violated'): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'string' ? message : message());
}

/** Marks code that a switch over a closed union can never reach. */
export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
