export { type AdvanceDeps, advanceAll, advanceStalled, advanceStep, spawnedSteps } from './advance.ts';
export { type CancelWorkflowDeps, cancelWorkflow } from './cancel-workflow.ts';
export { type CreateWorkflowDeps, createWorkflow } from './create-workflow.ts';
export {
  MAX_SPAWN_CHILDREN,
  type SpawnRequest,
  type SpawnRequestInput,
  SpawnRequestSchema,
} from './spawn.ts';
export { childStepName, type StepItem, stepJobId, type WorkflowItem } from './workflow.ts';
export {
  isStepTerminal,
  PARENT_FAILURE_RULES,
  type ParentFailureRule,
  STEP_STATUSES,
  type StepStatus,
  stepEndOf,
  WORKFLOW_STATUSES,
  type WorkflowStatus,
} from './workflow-lifecycle.ts';
export {
  MAX_WORKFLOW_STEPS,
  parseWorkflowRequest,
  type WorkflowRequest,
  type WorkflowRequestInput,
  WorkflowRequestSchema,
} from './workflow-request.ts';
export { WorkflowStore } from './workflow-store.ts';
