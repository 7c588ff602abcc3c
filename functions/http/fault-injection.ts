import { readSection } from '../../src/aws/environment/index.ts';
import { type HttpEvent, header } from './http-handler.ts';

const { faultInjection } = readSection('intake');

/**
 * Test-only (off unless the stack was deployed with `tailguard:faultInjection=on`): with header
 * `x-tailguard-fault: after-send`, the intake fails after a job's message is sent and before the
 * job is written, as if the function died there (the `afterSend` of SubmitDeps). The worker must
 * drop the message without a job; a workflow's root left so is started by the reaper's pass.
 */
export function afterSendFault(event: HttpEvent): (() => void) | undefined {
  if (!faultInjection || header(event, 'x-tailguard-fault') !== 'after-send') return undefined;
  return () => {
    throw new Error('fault injected: intake stopped after the send');
  };
}
