/**
 * The node agent (kubelet): registers a Node, heartbeats through its Lease, runs the pods bound
 * to it through a runtime, probes them, writes their status and serves their logs to the API.
 */
export { Agent, nodeSecretName, type AgentOptions } from './agent.js';
export type { AgentPodNetworkOptions } from './pod-network-setup.js';
export { buildNode, buildLease, type NodeCapacity, type NodeObjectOptions } from './node-object.js';
export { buildPodStatus, podPhase, type ContainerView, type PodView } from './pod-status.js';
export { AgentError } from './errors.js';
export { parseLogQuery } from './log-server.js';
export type { StreamLimits } from './exec-server.js';
export { startSimulatedNodes, type SimulatedNodes, type SimulatedNodesOptions } from './simulated-nodes.js';
