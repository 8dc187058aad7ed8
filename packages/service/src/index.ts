export type { ReadyMessage, RunningService, ServiceOptions } from './running-service.js';
export { runService, type ServiceDefinition } from './run-service.js';
export {
  METRICS_REFUSAL,
  MetricsAccess,
  metricsAuthorization,
  openMetricsWarning,
} from './metrics-access.js';
