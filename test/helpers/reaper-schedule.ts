import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { localClientConfig } from '../../local/aws-env.ts';
import type { LocalDeployment } from '../../local/deploy.ts';

/**
 * Holds the deployed reaper off, so that what a crash leaves stays for a pass the test runs
 * itself (workflow-backstop.ts): its function throttled (reserved concurrency 0: the minute's
 * rule starts no run), then the run already going waited out, which its timeout bounds.
 */
export class ReaperSchedule {
  private readonly lambda: LambdaClient;
  private paused = false;

  constructor(private readonly deployment: LocalDeployment) {
    this.lambda = new LambdaClient(localClientConfig(deployment.endpoint));
  }

  async pause(): Promise<void> {
    const FunctionName = this.deployment.reaper;
    this.paused = true;
    await this.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName, ReservedConcurrentExecutions: 0 }));
    const { Timeout = 900 } = await this.lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
    await sleep(Timeout * 1000);
  }

  /** Lifts the throttle and starts a run at once, as the local stack does after its deploy. No-op unless paused. */
  async resume(): Promise<void> {
    if (!this.paused) return;
    const FunctionName = this.deployment.reaper;
    await this.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName }));
    await this.lambda.send(new InvokeCommand({ FunctionName, InvocationType: 'Event', Payload: Buffer.from('{}') }));
    this.paused = false;
  }
}
