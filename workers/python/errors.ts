import { NonRetryableError } from '../../src/jobs/model/index.ts';
import type { ChildMessage } from './protocol.ts';

/** A Python handler raised an ordinary exception: retryable, like any handler failure but NonRetryableError. */
export class PythonHandlerError extends Error {
  constructor(
    /** The Python exception's class name, e.g. `ValueError`. */
    readonly pythonName: string,
    message: string,
  ) {
    super(message);
    this.name = 'PythonHandlerError';
  }
}

/** A handler process failed the job itself: it crashed, was killed, or broke the protocol. Retryable. */
export class PythonProcessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PythonProcessError';
  }
}

/**
 * The error a Python `error` message stands for, named after the Python exception. Its stack is
 * the Python traceback, so the worker's log of the failed attempt shows where it was raised.
 */
export function errorOf(message: Extract<ChildMessage, { kind: 'error' }>): Error {
  const text = message.message ? `${message.name}: ${message.message}` : message.name;
  const error = message.retryable ? new PythonHandlerError(message.name, text) : new NonRetryableError(text);
  if (message.traceback) error.stack = message.traceback;
  return error;
}
