/**
 * Generates `src/resources/schemas/kubernetes.json` from the `kubernetes-types` declarations.
 *
 * It reads the interfaces with the TypeScript compiler API, starting from the kinds Stratus
 * serves, and follows every type they reach. Definitions are named as in Kubernetes' OpenAPI
 * (`io.k8s.api.apps.v1.Deployment`). The list metadata that the declarations lack (strategic
 * merge keys, server-side apply list types) comes from the explicit table below, copied from
 * Kubernetes' own `x-kubernetes-*` extensions.
 *
 * Usage: `node dist/scripts/gen-schemas.js [OUT]` (default: src/resources/schemas/kubernetes.json
 * relative to the current directory).
 */
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

type Node =
  | { type: 'object'; properties: Record<string, Node>; required?: string[] }
  | { type: 'map'; values: Node }
  | ({ type: 'array'; items: Node } & ListMeta)
  | { type: 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'quantity' | 'any' }
  | { type: 'ref'; ref: string };

interface ListMeta {
  mergeKey?: string;
  patchStrategy?: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

/** The kinds whose schemas are served, as `file#Interface` in kubernetes-types. */
const ROOTS = [
  'core/v1#Namespace',
  'core/v1#Pod',
  'core/v1#PodTemplateSpec',
  'core/v1#Service',
  'core/v1#Endpoints',
  'core/v1#ConfigMap',
  'core/v1#Secret',
  'core/v1#ServiceAccount',
  'core/v1#Node',
  'core/v1#Event',
  'core/v1#Binding',
  'core/v1#ResourceQuota',
  'core/v1#LimitRange',
  'apps/v1#Deployment',
  'apps/v1#ReplicaSet',
  'apps/v1#DaemonSet',
  'batch/v1#Job',
  'batch/v1#CronJob',
  'coordination/v1#Lease',
  'node/v1#RuntimeClass',
  'autoscaling/v1#Scale',
  'autoscaling/v1#HorizontalPodAutoscaler',
  'autoscaling/v2#HorizontalPodAutoscaler',
  'policy/v1#Eviction',
  'rbac/v1#Role',
  'rbac/v1#ClusterRole',
  'rbac/v1#RoleBinding',
  'rbac/v1#ClusterRoleBinding',
  'authentication/v1#SelfSubjectReview',
  'authentication/v1#TokenRequest',
  'authorization/v1#SelfSubjectAccessReview',
  'authorization/v1#LocalSubjectAccessReview',
  'authorization/v1#SubjectAccessReview',
  'authorization/v1#SelfSubjectRulesReview',
  'discovery/v1#EndpointSlice',
  'networking/v1#Ingress',
  'networking/v1#IngressClass',
];

const MERGE_NAME: ListMeta = {
  mergeKey: 'name',
  patchStrategy: 'merge',
  listType: 'map',
  listMapKeys: ['name'],
};
const CONDITIONS: ListMeta = {
  mergeKey: 'type',
  patchStrategy: 'merge',
  listType: 'map',
  listMapKeys: ['type'],
};
const ATOMIC: ListMeta = { listType: 'atomic' };

/**
 * Kubernetes' list extensions (`x-kubernetes-patch-merge-key`, `-patch-strategy`, `-list-type`,
 * `-list-map-keys`), keyed by `definition.property`. Lists not named here are atomic, as
 * Kubernetes treats unannotated lists.
 */
const LISTS: Record<string, ListMeta> = {
  'io.k8s.api.core.v1.PodSpec.containers': MERGE_NAME,
  'io.k8s.api.core.v1.PodSpec.initContainers': MERGE_NAME,
  'io.k8s.api.core.v1.PodSpec.ephemeralContainers': MERGE_NAME,
  'io.k8s.api.core.v1.PodSpec.volumes': { ...MERGE_NAME, patchStrategy: 'merge,retainKeys' },
  'io.k8s.api.core.v1.PodSpec.imagePullSecrets': MERGE_NAME,
  'io.k8s.api.core.v1.PodSpec.tolerations': ATOMIC,
  'io.k8s.api.core.v1.PodSpec.hostAliases': {
    mergeKey: 'ip',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['ip'],
  },
  'io.k8s.api.core.v1.PodSpec.topologySpreadConstraints': {
    mergeKey: 'topologyKey',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['topologyKey', 'whenUnsatisfiable'],
  },
  'io.k8s.api.core.v1.PodSpec.resourceClaims': { ...MERGE_NAME, patchStrategy: 'merge,retainKeys' },
  'io.k8s.api.core.v1.PodSpec.schedulingGates': MERGE_NAME,
  'io.k8s.api.core.v1.PodSpec.readinessGates': ATOMIC,
  'io.k8s.api.core.v1.Container.ports': {
    mergeKey: 'containerPort',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['containerPort', 'protocol'],
  },
  'io.k8s.api.core.v1.Container.env': MERGE_NAME,
  'io.k8s.api.core.v1.Container.envFrom': ATOMIC,
  'io.k8s.api.core.v1.Container.volumeMounts': {
    mergeKey: 'mountPath',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['mountPath'],
  },
  'io.k8s.api.core.v1.Container.volumeDevices': {
    mergeKey: 'devicePath',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['devicePath'],
  },
  'io.k8s.api.core.v1.EphemeralContainer.ports': {
    mergeKey: 'containerPort',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['containerPort', 'protocol'],
  },
  'io.k8s.api.core.v1.EphemeralContainer.env': MERGE_NAME,
  'io.k8s.api.core.v1.EphemeralContainer.volumeMounts': {
    mergeKey: 'mountPath',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['mountPath'],
  },
  'io.k8s.api.core.v1.EphemeralContainer.volumeDevices': {
    mergeKey: 'devicePath',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['devicePath'],
  },
  'io.k8s.api.core.v1.ServiceSpec.ports': {
    mergeKey: 'port',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['port', 'protocol'],
  },
  'io.k8s.api.core.v1.ServiceStatus.conditions': CONDITIONS,
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.finalizers': { patchStrategy: 'merge', listType: 'set' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.ownerReferences': {
    mergeKey: 'uid',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['uid'],
  },
  'io.k8s.api.core.v1.PodStatus.conditions': CONDITIONS,
  'io.k8s.api.core.v1.PodStatus.podIPs': {
    mergeKey: 'ip',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['ip'],
  },
  'io.k8s.api.core.v1.PodStatus.hostIPs': { mergeKey: 'ip', patchStrategy: 'merge', listType: 'atomic' },
  'io.k8s.api.core.v1.NodeStatus.conditions': CONDITIONS,
  'io.k8s.api.core.v1.NodeStatus.addresses': CONDITIONS,
  'io.k8s.api.core.v1.NodeSpec.podCIDRs': { patchStrategy: 'merge', listType: 'set' },
  'io.k8s.api.core.v1.NamespaceStatus.conditions': CONDITIONS,
  'io.k8s.api.apps.v1.DeploymentStatus.conditions': CONDITIONS,
  'io.k8s.api.apps.v1.ReplicaSetStatus.conditions': CONDITIONS,
  'io.k8s.api.apps.v1.DaemonSetStatus.conditions': CONDITIONS,
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus.conditions': CONDITIONS,
  'io.k8s.api.batch.v1.JobStatus.conditions': {
    mergeKey: 'type',
    patchStrategy: 'merge',
    listType: 'atomic',
  },
  'io.k8s.api.core.v1.EndpointSubset.addresses': ATOMIC,
  'io.k8s.api.core.v1.EndpointSubset.notReadyAddresses': ATOMIC,
  'io.k8s.api.core.v1.EndpointSubset.ports': ATOMIC,
};

/**
 * Fields whose Kubernetes type is a float (`format: double`); every other number is an
 * integer. None of the served kinds has one today; the table keeps the rule explicit.
 */
const FLOATS = new Set<string>([]);

/** Named types that are not structs: how each is checked. */
const SPECIAL: Record<string, Node> = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'quantity' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string' },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'any' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': { type: 'any' },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': { type: 'any' },
};

/** The OpenAPI package prefix of a kubernetes-types file (`apps/v1` → `io.k8s.api.apps.v1`). */
function packageOf(file: string): string {
  if (file === 'meta/v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (file === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  if (file === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  if (file.startsWith('apiextensions/')) {
    return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${file.slice('apiextensions/'.length)}`;
  }
  return `io.k8s.api.${file.replace('/', '.')}`;
}

/** Generates the schema document: `{definitions}` with keys sorted, as a compact JSON string. */
export function generate(typesDir: string): string {
  const files = ROOTS.map((r) => join(typesDir, `${r.split('#')[0]}.d.ts`));
  const program = ts.createProgram(files, { noLib: true, types: [] });
  const checker = program.getTypeChecker();
  const definitions: Record<string, Node> = {};
  const queue: Array<{ name: string; decl: ts.InterfaceDeclaration }> = [];

  const fileKey = (sf: ts.SourceFile): string =>
    relative(typesDir, sf.fileName)
      .replace(/\\/g, '/')
      .replace(/\.d\.ts$/, '');

  function declOf(id: ts.EntityName): ts.Declaration {
    let sym = checker.getSymbolAtLocation(id);
    if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    const decl = sym?.declarations?.[0];
    if (!decl) throw new Error(`cannot resolve ${id.getText()}`);
    return decl;
  }

  function refTo(decl: ts.Declaration): Node {
    const named = decl as ts.InterfaceDeclaration | ts.TypeAliasDeclaration;
    const name = `${packageOf(fileKey(decl.getSourceFile()))}.${named.name.text}`;
    const special = SPECIAL[name];
    if (special) return special;
    if (!ts.isInterfaceDeclaration(decl)) throw new Error(`unsupported alias ${name}`);
    if (decl.members.length === 0) return { type: 'any' };
    if (!(name in definitions) && !queue.some((q) => q.name === name)) queue.push({ name, decl });
    return { type: 'ref', ref: name };
  }

  function convert(t: ts.TypeNode, where: string): Node {
    switch (t.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.NumberKeyword:
        return { type: FLOATS.has(where) ? 'number' : 'integer' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
        return { type: 'any' };
    }
    if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return { type: 'string' };
    if (ts.isParenthesizedTypeNode(t)) return convert(t.type, where);
    if (ts.isTypeOperatorNode(t)) return convert(t.type, where);
    if (ts.isArrayTypeNode(t)) return array(convert(t.elementType, where), where);
    if (ts.isUnionTypeNode(t)) {
      const kinds = new Set(t.types.map((u) => convert(u, where).type));
      if (kinds.size === 1) return convert(t.types[0]!, where);
      if (kinds.size === 2 && kinds.has('integer') && kinds.has('string')) return { type: 'int-or-string' };
      throw new Error(`unsupported union at ${where}: ${t.getText()}`);
    }
    if (ts.isTypeLiteralNode(t)) {
      const index = t.members.find(ts.isIndexSignatureDeclaration);
      if (index && t.members.length === 1) return { type: 'map', values: convert(index.type, where) };
      throw new Error(`unsupported type literal at ${where}`);
    }
    if (ts.isTypeReferenceNode(t)) {
      const name = t.typeName.getText();
      if (name === 'Array' || name === 'ReadonlyArray')
        return array(convert(t.typeArguments![0]!, where), where);
      if (name === 'Record') return { type: 'map', values: convert(t.typeArguments![1]!, where) };
      return refTo(declOf(t.typeName));
    }
    throw new Error(`unsupported type at ${where}: ${ts.SyntaxKind[t.kind]}`);
  }

  function array(items: Node, where: string): Node {
    return { type: 'array', items, ...(LISTS[where] ?? ATOMIC) };
  }

  function struct(name: string, decl: ts.InterfaceDeclaration): Node {
    const properties: Record<string, Node> = {};
    const required: string[] = [];
    for (const m of decl.members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const prop = m.name.getText().replace(/^["']|["']$/g, '');
      properties[prop] = convert(m.type, `${name}.${prop}`);
      if (!m.questionToken) required.push(prop);
    }
    return required.length > 0 ? { type: 'object', properties, required } : { type: 'object', properties };
  }

  for (const root of ROOTS) {
    const [file, iface] = root.split('#') as [string, string];
    const sf = program.getSourceFile(join(typesDir, `${file}.d.ts`));
    const decl = sf?.statements.find(
      (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === iface,
    );
    if (!decl) throw new Error(`no ${root} in kubernetes-types`);
    refTo(decl);
  }
  for (let next = queue.shift(); next; next = queue.shift()) {
    definitions[next.name] = struct(next.name, next.decl);
  }
  for (const key of Object.keys(LISTS)) {
    const [def, prop] = [key.slice(0, key.lastIndexOf('.')), key.slice(key.lastIndexOf('.') + 1)];
    const node = definitions[def];
    if (!node || node.type !== 'object' || node.properties[prop]?.type !== 'array') {
      throw new Error(`list table names ${key}, which is not a list in the generated schema`);
    }
  }
  const sorted: Record<string, Node> = {};
  for (const key of Object.keys(definitions).sort()) sorted[key] = definitions[key]!;
  return JSON.stringify({ definitions: sorted }) + '\n';
}

/** The directory of the installed kubernetes-types package. */
export function kubernetesTypesDir(): string {
  return dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? 'src/resources/schemas/kubernetes.json';
  writeFileSync(out, generate(kubernetesTypesDir()));
  console.log(`wrote ${out}`);
}
