import type { QueuePoller, ReceivedMessage } from './queue-poller.ts';

/** What becomes of a received message once the worker is done with it: decided once, applied once. */
export type MessageAction =
  /** Spent: deleted, in a batch with others of its queue. */
  | { kind: 'delete' }
  /** Back on its queue as a fresh copy, visible after `delaySeconds` (at most 900), its receive budget untouched. */
  | { kind: 'handBack'; delaySeconds: number }
  /** Left as it is, visible again after `visibleInSeconds`; without it, when its visibility timeout ends. */
  | { kind: 'leave'; visibleInSeconds?: number };

export const DELETE: MessageAction = { kind: 'delete' };
export const LEAVE: MessageAction = { kind: 'leave' };

export async function applyMessageAction(
  poller: Pick<QueuePoller, 'delete' | 'handBack' | 'setVisibility'>,
  message: ReceivedMessage,
  action: MessageAction,
): Promise<void> {
  if (action.kind === 'delete') poller.delete(message);
  else if (action.kind === 'handBack') await poller.handBack([message], action.delaySeconds);
  else if (action.visibleInSeconds !== undefined) await poller.setVisibility(message, action.visibleInSeconds);
}
