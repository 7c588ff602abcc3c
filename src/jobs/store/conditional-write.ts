import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/**
 * Awaits a conditional write, alone or first in a transaction: its output, or undefined when that
 * condition did not hold (for a job: it is no longer as the caller read it).
 */
export async function ifConditionHeld<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    if (
      error instanceof TransactionCanceledException &&
      error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
    )
      return undefined;
    throw error;
  }
}

/** Awaits a conditional write: true when it was written, false when its condition did not hold. */
export async function writtenIf(write: Promise<unknown>): Promise<boolean> {
  return (await ifConditionHeld(write)) !== undefined;
}

/** Whether a transaction was cancelled because the condition of its write at `index` did not hold. */
export function conditionFailedAt(error: unknown, index: number): boolean {
  return (
    error instanceof TransactionCanceledException &&
    error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed'
  );
}
