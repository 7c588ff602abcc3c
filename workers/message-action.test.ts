import { describe, expect, it, vi } from 'vitest';
import { applyMessageAction, DELETE, LEAVE } from './message-action.ts';
import type { ReceivedMessage } from './queue-poller.ts';

const message: ReceivedMessage = {
  queue: 'cpu-default',
  queueUrl: 'q',
  body: '{}',
  receiptHandle: 'r1',
  receiveCount: 1,
  sentAt: 0,
};

const poller = () => ({ delete: vi.fn(), handBack: vi.fn(async () => {}), setVisibility: vi.fn(async () => {}) });

describe('applyMessageAction', () => {
  it('deletes a spent message', async () => {
    // Prepare
    const queue = poller();
    // Act
    await applyMessageAction(queue, message, DELETE);
    // Assess
    expect(queue.delete).toHaveBeenCalledWith(message);
    expect(queue.handBack).not.toHaveBeenCalled();
  });

  it('hands a message back as a fresh copy after its delay', async () => {
    // Prepare
    const queue = poller();
    // Act
    await applyMessageAction(queue, message, { kind: 'handBack', delaySeconds: 7 });
    // Assess
    expect(queue.handBack).toHaveBeenCalledWith([message], 7);
  });

  it('leaves a message in place, visible again after the time asked for, or untouched', async () => {
    // Prepare
    const queue = poller();
    // Act
    await applyMessageAction(queue, message, { kind: 'leave', visibleInSeconds: 5 });
    await applyMessageAction(queue, message, LEAVE);
    // Assess
    expect(queue.setVisibility).toHaveBeenCalledOnce();
    expect(queue.setVisibility).toHaveBeenCalledWith(message, 5);
    expect(queue.delete).not.toHaveBeenCalled();
  });
});
