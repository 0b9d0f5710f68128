import { StratusError } from '../common/stratus-error.js';

/** Errors of the node agent: `AGENT_*` codes. */
export class AgentError extends StratusError {
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(code, status, message, details);
    this.name = 'AgentError';
  }
}

/** The agent's log endpoint got a request without the node's secret. */
export function agentUnauthorized(): AgentError {
  return new AgentError('AGENT_UNAUTHORIZED', 401, 'Unauthorized: the node secret is missing or wrong');
}

/** A log request named a pod or container this agent does not run. */
export function agentContainerNotFound(namespace: string, pod: string, container: string): AgentError {
  return new AgentError(
    'AGENT_CONTAINER_NOT_FOUND',
    404,
    `container "${container}" in pod "${namespace}/${pod}" is not running on this node`,
    { namespace, pod, container },
  );
}

/** A log request whose path is not `/containerLogs/{namespace}/{pod}/{container}` with valid escapes. */
export function agentBadLogPath(path: string, why: string): AgentError {
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return new AgentError('AGENT_BAD_LOG_PATH', 400, `Bad log path "${shown}": ${why}`, { path: shown });
}

/** The agent's data directory belongs to another user, who could plant files the agent acts on. */
export function agentDataDirForeign(dir: string, owner: number, self: number): AgentError {
  return new AgentError(
    'AGENT_DATA_DIR_FOREIGN',
    400,
    `data directory ${dir} is owned by uid ${owner}, not by this user (uid ${self}): refusing to ` +
      'keep pods, logs and the node secret there; give the agent a directory of its own',
    { dir, owner },
  );
}
