/** A tail-suite worker process (bench/tail-suite.ts forks it): runs the seed tasks it is sent, one at a time. */
import { runSeed, type SeedTask } from './seed-task.ts';

process.on('message', (task: SeedTask) => {
  void runSeed(task).then((results) => process.send!(results));
});
