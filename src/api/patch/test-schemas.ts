import type { SchemaDocument, SchemaNode } from '../../resources/index.js';

/**
 * Small hand-written schemas in the shape of Kubernetes' Deployment and Pod, for the tests of
 * this folder: containers merge by `name`, ports by `containerPort` (list-map keys
 * `containerPort`, `protocol`), env by `name`, volumes by `name`, finalizers as a set.
 */
export const testSchemas: SchemaDocument = {
  definitions: {
    ObjectMeta: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        namespace: { type: 'string' },
        uid: { type: 'string' },
        resourceVersion: { type: 'string' },
        generation: { type: 'integer' },
        creationTimestamp: { type: 'string' },
        labels: { type: 'map', values: { type: 'string' } },
        annotations: { type: 'map', values: { type: 'string' } },
        finalizers: { type: 'array', items: { type: 'string' }, patchStrategy: 'merge', listType: 'set' },
        managedFields: { type: 'array', items: { type: 'any' }, listType: 'atomic' },
      },
    },
    Container: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        image: { type: 'string' },
        imagePullPolicy: { type: 'string' },
        args: { type: 'array', items: { type: 'string' } },
        ports: {
          type: 'array',
          items: { type: 'ref', ref: 'ContainerPort' },
          mergeKey: 'containerPort',
          patchStrategy: 'merge',
          listType: 'map',
          listMapKeys: ['containerPort', 'protocol'],
        },
        env: {
          type: 'array',
          items: { type: 'ref', ref: 'EnvVar' },
          mergeKey: 'name',
          patchStrategy: 'merge',
          listType: 'map',
          listMapKeys: ['name'],
        },
        resources: {
          type: 'object',
          properties: {
            limits: { type: 'map', values: { type: 'quantity' } },
            requests: { type: 'map', values: { type: 'quantity' } },
          },
        },
      },
    },
    ContainerPort: {
      type: 'object',
      properties: {
        containerPort: { type: 'integer' },
        protocol: { type: 'string' },
        name: { type: 'string' },
      },
    },
    EnvVar: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } },
    Volume: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        emptyDir: { type: 'object', properties: { medium: { type: 'string' } } },
        configMap: { type: 'object', properties: { name: { type: 'string' } } },
      },
    },
    PodSpec: {
      type: 'object',
      required: ['containers'],
      properties: {
        containers: {
          type: 'array',
          items: { type: 'ref', ref: 'Container' },
          mergeKey: 'name',
          patchStrategy: 'merge',
          listType: 'map',
          listMapKeys: ['name'],
        },
        volumes: {
          type: 'array',
          items: { type: 'ref', ref: 'Volume' },
          mergeKey: 'name',
          patchStrategy: 'merge,retainKeys',
          listType: 'map',
          listMapKeys: ['name'],
        },
        nodeSelector: { type: 'map', values: { type: 'string' } },
        restartPolicy: { type: 'string' },
      },
    },
    DeploymentSpec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        paused: { type: 'boolean' },
        selector: {
          type: 'object',
          properties: { matchLabels: { type: 'map', values: { type: 'string' } } },
        },
        strategy: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            rollingUpdate: {
              type: 'object',
              properties: { maxSurge: { type: 'int-or-string' }, maxUnavailable: { type: 'int-or-string' } },
            },
          },
        },
        template: {
          type: 'object',
          properties: { metadata: { type: 'ref', ref: 'ObjectMeta' }, spec: { type: 'ref', ref: 'PodSpec' } },
        },
      },
    },
    Deployment: {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'ref', ref: 'ObjectMeta' },
        spec: { type: 'ref', ref: 'DeploymentSpec' },
        status: {
          type: 'object',
          properties: { replicas: { type: 'integer' }, observedGeneration: { type: 'integer' } },
        },
      },
    },
  },
};

/** The Deployment schema node, resolved through `testSchemas`. */
export const deploymentSchema: SchemaNode = { type: 'ref', ref: 'Deployment' };
