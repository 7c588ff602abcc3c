import { DescribeServicesCommand, type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import type { Capacity } from '../model/index.ts';

/**
 * Adds a worker of a class when a backup has nowhere to run (typical for GPUs: every slot busy,
 * or the service scaled to zero). On AWS it raises the ECS service's desired count, which also
 * wakes a GPU service at zero faster than alarm-driven autoscaling; locally the runtime starts a
 * worker process through an HTTP hook.
 */
export type CapacityOutcome = 'added' | 'at-maximum' | 'unavailable';

export interface CapacityProvisioner {
  addWorker(capacity: Capacity): Promise<CapacityOutcome>;
}

/** What the deployment publishes in SSM for the detector: the ECS service of each class it runs. */
export const WorkerServicesSchema = z.object({
  cluster: z.string(),
  services: z.object({ cpu: z.string().optional(), gpu: z.string().optional() }),
  maxTasks: z.object({ cpu: z.int().optional(), gpu: z.int().optional() }),
});
export type WorkerServicesDocument = z.infer<typeof WorkerServicesSchema>;

export class EcsCapacity implements CapacityProvisioner {
  private services: WorkerServicesDocument | undefined;

  constructor(
    private readonly ecs: ECSClient,
    private readonly ssm: SSMClient,
    private readonly parameterName: string,
  ) {}

  async addWorker(capacity: Capacity): Promise<CapacityOutcome> {
    try {
      this.services ??= WorkerServicesSchema.parse(
        JSON.parse(
          (await this.ssm.send(new GetParameterCommand({ Name: this.parameterName }))).Parameter?.Value ?? '{}',
        ),
      );
    } catch (error) {
      // The deployment runs no ECS workers (none published, as on the emulator): backups wait for a free slot.
      if (error instanceof ParameterNotFound) return 'unavailable';
      throw error;
    }
    const { cluster, services, maxTasks } = this.services;
    const serviceName = services[capacity];
    // The deployment runs no ECS workers of this class (they run elsewhere): nothing to grow.
    if (serviceName === undefined) return 'unavailable';
    const { services: [service] = [] } = await this.ecs.send(
      new DescribeServicesCommand({ cluster, services: [serviceName] }),
    );
    const desired = service?.desiredCount ?? 0;
    if (desired >= (maxTasks[capacity] ?? 0)) return 'at-maximum';
    await this.ecs.send(new UpdateServiceCommand({ cluster, service: serviceName, desiredCount: desired + 1 }));
    return 'added';
  }
}

/** The local runtime's stand-in for ECS: `POST <hook>?capacity=<class>` starts a worker process. */
export class LocalCapacityHook implements CapacityProvisioner {
  constructor(private readonly url: string) {}

  async addWorker(capacity: Capacity): Promise<CapacityOutcome> {
    const response = await fetch(`${this.url}?capacity=${capacity}`, { method: 'POST' });
    if (response.status === 429) return 'at-maximum';
    if (!response.ok) throw new Error(`capacity hook answered HTTP ${response.status}`);
    return 'added';
  }
}
