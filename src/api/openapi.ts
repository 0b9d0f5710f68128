import type { ResourceType } from '../resources/index.js';
import { groupTypes } from './discovery.js';

/**
 * The `/openapi/v3` root: one entry per served group-version, pointing at its document. kubectl
 * reads it to learn that the server validates fields itself (`fieldValidation`), and then
 * sends `fieldValidation=Strict` instead of checking manifests against schemas of its own.
 */
export function openApiRoot(types: readonly ResourceType[], hash: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const key of groupVersionPaths(types)) {
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}

/** `api/v1`, `apis/apps/v1` … for every group-version the registry serves. */
export function groupVersionPaths(types: readonly ResourceType[]): string[] {
  const out: string[] = [];
  for (const [group, versions] of groupTypes(types)) {
    for (const version of versions.keys())
      out.push(group === '' ? `api/${version}` : `apis/${group}/${version}`);
  }
  return out;
}

/**
 * The minimal OpenAPI v3 document of one group-version (`api/v1`, `apis/apps/v1`), or undefined
 * when not served: per object path a `patch` operation with its group-version-kind and the
 * `fieldValidation` parameter, and deliberately no request body schema, so that kubectl builds
 * strategic merge patches from its built-in types rather than from these documents.
 */
export function openApiGroupVersion(
  types: readonly ResourceType[],
  gvPath: string,
): Record<string, unknown> | undefined {
  const parts = gvPath.split('/');
  let group: string;
  let version: string;
  if (parts[0] === 'api' && parts.length === 2) {
    group = '';
    version = parts[1] ?? '';
  } else if (parts[0] === 'apis' && parts.length === 3) {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
  } else {
    return undefined;
  }
  const list = groupTypes(types).get(group)?.get(version);
  if (list === undefined) return undefined;
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const paths: Record<string, unknown> = {};
  for (const t of list) {
    if (!t.verbs.includes('patch')) continue;
    const base = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const parameters = [
      { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
    ];
    paths[`${base}/{name}`] = {
      patch: {
        description: `partially update the specified ${t.kind}`,
        operationId: `patch${t.kind}`,
        parameters,
        responses: { '200': { description: 'OK' }, '201': { description: 'Created' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
      },
      parameters: [
        { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
        ...(t.namespaced
          ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }]
          : []),
      ],
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}
