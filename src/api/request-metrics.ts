import type { IncomingMessage, ServerResponse } from 'node:http';
import { queryBool } from '../common/query-bool.js';
import type { ApiRequestLabels, ServerMetrics } from '../telemetry/index.js';
import type { ParsedRequest, RequestInfo } from './request-attributes.js';

/** kube-apiserver's verb label from the authorization verb (`list` → LIST, `create` → POST). */
const VERB_LABELS: Record<string, string> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
  proxy: 'CONNECT',
};

/** The request's metric labels; a non-resource request has only its verb (paths would be unbounded). */
function labelsOf(method: string, info: RequestInfo, contentType: string): ApiRequestLabels {
  if (!info.resourceRequest)
    return { verb: method, group: '', version: '', resource: '', subresource: '', scope: '' };
  let verb = VERB_LABELS[info.verb] ?? method;
  if (verb === 'PATCH' && contentType.startsWith('application/apply-patch')) verb = 'APPLY';
  const scope = info.name !== '' ? 'resource' : info.namespace !== '' ? 'namespace' : 'cluster';
  return {
    verb,
    group: info.apiGroup,
    version: info.apiVersion,
    resource: info.resource,
    subresource: info.subresource,
    scope,
  };
}

/**
 * Counts an API request when its answer ends (or its connection goes): its code, and its latency
 * unless it is long-running (a watch, a followed log, a proxied stream), which counts in
 * `apiserver_longrunning_requests` while it lasts instead, as kube-apiserver does.
 */
export function observeRequest(
  metrics: ServerMetrics,
  http: { req: IncomingMessage; res: ServerResponse },
  request: ParsedRequest,
): void {
  const { req, res } = http;
  const { query } = request;
  const started = performance.now();
  const labels = labelsOf(req.method ?? 'GET', request.info, req.headers['content-type'] ?? '');
  const longRunning =
    labels.verb === 'WATCH' ||
    labels.verb === 'CONNECT' ||
    (labels.subresource === 'log' && queryBool(query, 'follow'));
  const ended = longRunning ? metrics.longRunningStarted(labels) : undefined;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    ended?.();
    metrics.requestDone(labels, res.statusCode, (performance.now() - started) / 1000, longRunning);
  };
  res.on('finish', finish);
  res.on('close', finish);
}
