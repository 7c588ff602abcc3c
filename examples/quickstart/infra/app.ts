import { App, Stack } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { Tailguard } from 'tailguard/cdk';

const app = new App();
const stack = new Stack(app, 'Quickstart');

// One image for both classes: Node for the worker, Python for the `embed` handler. On AWS the gpu
// class runs it on GPU instances; build it FROM a CUDA base when handlers need CUDA (README).
const image = ContainerImage.fromAsset('.', { file: 'worker/Dockerfile', platform: Platform.LINUX_AMD64 });

new Tailguard(stack, 'Jobs', {
  jobTypes: ['greet', 'embed'],
  workers: {
    cpu: { image, concurrency: 8, maxTasks: 10 },
    gpu: { image, concurrency: 1, maxTasks: 2 },
  },
});
