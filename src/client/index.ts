/** The Kubernetes REST client: what other parts import from `src/client`. */
export { KubeClient, parseWarnings } from './kube-client.js';
export type {
  ClientOptions,
  ListOptions,
  NamespaceOption,
  RequestOptions,
  ResourceRef,
  WatchOptions,
  WriteOptions,
} from './client-options.js';
export {
  groupResource,
  kindGroup,
  resolveResource,
  resourceForKind,
  resourcesInCategory,
  resourcePath,
  type ResourceInfo,
} from './discovery.js';
export {
  ConnectionError,
  KubeconfigError,
  StatusError,
  UnknownResourceError,
  type KubeStatus,
} from './errors.js';
export { parseKubeconfig, type ClusterConfig } from './kubeconfig.js';
export { defaultKubeconfigPath, loadKubeconfig } from './kubeconfig-file.js';
export { parseNdjson } from './ndjson.js';
export type { KubeList, Table, TableColumn, TableRow, WatchEvent } from './types.js';
export { EventRecorder, type EventRecorderOptions, type EventType } from './event-recorder.js';
