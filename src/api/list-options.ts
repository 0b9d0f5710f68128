import { queryBool } from '../common/query-bool.js';
import type { ReadAt } from '../store/index.js';
import { fieldForbidden as forbidden, fieldNotSupported as notSupported } from '../resources/index.js';
import { badRequest, invalid, type StatusCause } from './errors.js';

/** How a watch starts, from its query (Kubernetes' ListOptions as a watch reads them). */
export interface WatchStart {
  /** The `resourceVersion` parameter; '' when absent. */
  resourceVersion: string;
  /** The current objects are sent first, as ADDED events. */
  initialEvents: boolean;
  /** BOOKMARK events were asked for (`allowWatchBookmarks`). */
  bookmarks: boolean;
  /** The initial events end with a BOOKMARK annotated `k8s.io/initial-events-end: "true"`. */
  initialEventsEnd: boolean;
}

const NOT_OLDER_THAN = 'NotOlderThan';

/**
 * Reads and checks a watch's options as kube-apiserver does (its `ValidateListOptions` with the
 * WatchList feature on). Without `sendInitialEvents`, a watch from no resourceVersion or `0`
 * starts with the current objects (the legacy behaviour); `sendInitialEvents=true` (which needs
 * `resourceVersionMatch=NotOlderThan`) always does, and ends them with an annotated BOOKMARK
 * when bookmarks are allowed; `sendInitialEvents=false` starts from now or the given version.
 */
export function watchStart(query: URLSearchParams): WatchStart {
  const resourceVersion = query.get('resourceVersion') ?? '';
  if (resourceVersion !== '' && !/^\d+$/.test(resourceVersion)) {
    throw badRequest(`resourceVersion: Invalid value: "${resourceVersion}": must be a decimal number`);
  }
  const match = query.get('resourceVersionMatch') ?? '';
  const send = query.has('sendInitialEvents') ? queryBool(query, 'sendInitialEvents') : undefined;
  const causes: StatusCause[] = [];
  if (send !== undefined && match !== NOT_OLDER_THAN) {
    causes.push(
      forbidden(
        'resourceVersionMatch',
        'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      ),
    );
  }
  if (match !== '') {
    if (send === undefined) {
      causes.push(
        forbidden(
          'resourceVersionMatch',
          'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        ),
      );
    }
    if (match !== NOT_OLDER_THAN) causes.push(notSupported('resourceVersionMatch', match, [NOT_OLDER_THAN]));
    if (query.get('continue')) {
      causes.push(
        forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'),
      );
    }
  }
  throwInvalid(causes);
  const bookmarks = queryBool(query, 'allowWatchBookmarks');
  return {
    resourceVersion,
    initialEvents: send ?? (resourceVersion === '' || resourceVersion === '0'),
    bookmarks,
    initialEventsEnd: send === true && bookmarks,
  };
}

/**
 * Which state a list or get is served from, by its `resourceVersion` and `resourceVersionMatch`
 * (already checked by `checkListQuery` for lists): none is a consistent read, `0` whatever the
 * watch cache holds, a revision at least that one, or exactly it with `Exact`.
 */
export function readAt(query: URLSearchParams): ReadAt {
  const rv = query.get('resourceVersion') ?? '';
  if (rv === '') return { kind: 'latest' };
  if (!/^\d+$/.test(rv))
    throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a decimal number`);
  const revision = Number(rv);
  if (revision === 0) return { kind: 'any' };
  return query.get('resourceVersionMatch') === 'Exact'
    ? { kind: 'exact', revision }
    : { kind: 'notOlderThan', revision };
}

/** Checks a list's `resourceVersionMatch` and `sendInitialEvents` as kube-apiserver does. */
export function checkListQuery(query: URLSearchParams): void {
  const causes: StatusCause[] = [];
  const match = query.get('resourceVersionMatch') ?? '';
  const rv = query.get('resourceVersion') ?? '';
  if (match !== '') {
    if (rv === '') {
      causes.push(
        forbidden(
          'resourceVersionMatch',
          'resourceVersionMatch is forbidden unless resourceVersion is provided',
        ),
      );
    }
    if (query.get('continue')) {
      causes.push(
        forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'),
      );
    }
    if (match !== 'Exact' && match !== NOT_OLDER_THAN) {
      causes.push(notSupported('resourceVersionMatch', match, ['Exact', NOT_OLDER_THAN, '']));
    }
    if (match === 'Exact' && rv === '0') {
      causes.push(
        forbidden(
          'resourceVersionMatch',
          'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        ),
      );
    }
  }
  if (query.has('sendInitialEvents')) {
    causes.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  throwInvalid(causes);
}

function throwInvalid(causes: StatusCause[]): void {
  if (causes.length > 0) throw invalid('ListOptions', '', 'meta.k8s.io', causes);
}
