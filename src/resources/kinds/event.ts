import type { Event } from 'kubernetes-types/core/v1.js';
import type { KindDefinition } from '../define-kind.js';
import { age } from '../age.js';
import { column } from '../table.js';

/**
 * core/v1 Event. Its table is Kubernetes' own, which leads with LAST SEEN rather than NAME
 * (the name is a wide column at the end, with format `name`): LAST SEEN TYPE REASON OBJECT
 * MESSAGE, plus SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME with `-o wide`.
 */
export const eventKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  shortNames: ['ev'],
  namespaced: true,
  schemaRef: 'io.k8s.api.core.v1.Event',
  columns: [
    column('Last Seen', 'string', 'The last time the event was seen.'),
    column('Type', 'string', 'Type of this event (Normal, Warning).'),
    column('Reason', 'string', 'Why the action was taken, in CamelCase.'),
    column('Object', 'string', 'The object this event is about.'),
    column('Subobject', 'string', 'The field of the object this event is about.', { priority: 1 }),
    column('Source', 'string', 'The component reporting this event.', { priority: 1 }),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'The first time the event was seen.', { priority: 1 }),
    column('Count', 'integer', 'The number of times this event has occurred.', { priority: 1 }),
    column('Name', 'string', 'The name of the event.', { priority: 1, format: 'name' }),
  ],
  cells(object, now) {
    const ev = object as unknown as Event;
    const first = ev.firstTimestamp ? age(ev.firstTimestamp, now) : age(ev.eventTime, now);
    let last = ev.lastTimestamp ? age(ev.lastTimestamp, now) : first;
    let count = ev.count ?? 0;
    if (ev.series) {
      last = age(ev.series.lastObservedTime, now);
      count = ev.series.count ?? count;
    } else if (count === 0) {
      count = 1;
    }
    const io = ev.involvedObject;
    const kind = (io?.kind ?? '').toLowerCase();
    const target = io?.name ? `${kind}/${io.name}` : kind;
    const component = ev.source?.component || ev.reportingComponent || '';
    const host = ev.source?.host || ev.reportingInstance || '';
    const source = host ? `${component}, ${host}` : component;
    return [
      last,
      ev.type ?? '',
      ev.reason ?? '',
      target,
      io?.fieldPath ?? '',
      source,
      (ev.message ?? '').trim(),
      first,
      count,
      ev.metadata?.name ?? '',
    ];
  },
};
