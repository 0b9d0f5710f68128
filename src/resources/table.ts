import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { ColumnDefinition } from './resource-type.js';

/** A table column; priority 1 columns show only with `-o wide`. */
export function column(
  name: string,
  type: ColumnDefinition['type'],
  description: string,
  options: { priority?: number; format?: string } = {},
): ColumnDefinition {
  return { name, type, format: options.format ?? '', description, priority: options.priority ?? 0 };
}

/** The `Name` column every table starts with (format `name`, which kubectl uses for `-o name`). */
export const nameColumn: ColumnDefinition = column(
  'Name',
  'string',
  'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  { format: 'name' },
);

/** The `Created At` column of Kubernetes' default table (roles and LimitRanges print no other). */
export const createdAtColumn: ColumnDefinition = column(
  'Created At',
  'date',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

/** The `Age` column: the time since creationTimestamp, as a human duration. */
export const ageColumn: ColumnDefinition = column(
  'Age',
  'string',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

/** The wide `Containers`, `Images`, `Selector` columns of the workload kinds. */
export const workloadWideColumns: ColumnDefinition[] = [
  column('Containers', 'string', 'Names of each container in the template.', { priority: 1 }),
  column('Images', 'string', 'Images referenced by each container in the template.', { priority: 1 }),
  column('Selector', 'string', 'Label selector for pods.', { priority: 1 }),
];

/** The names and images of a pod spec's containers, comma-joined, as kubectl's `layoutContainerCells`. */
export function containersAndImages(spec: PodSpec | undefined): [string, string] {
  const cs = spec?.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(',')];
}

/** The object's name, or '' when absent. */
export function nameOf(object: { metadata?: { name?: string } }): string {
  return object.metadata?.name ?? '';
}
