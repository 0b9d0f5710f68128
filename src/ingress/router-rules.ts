/**
 * The route table as a first-match rule list, for a data plane that routes by itself (the
 * haproxy router): each exact host's rules, then each wildcard host's, each list closed by a
 * catch-all to the default backend (so a named host never falls through to the host-less
 * rules, as `matchRoute` has it), then the host-less rules and a last catch-all. Pure: no I/O.
 */
import type { RouterRule } from '../network/index.js';
import type { Route, RouteTable } from './route-table.js';

/** See the file comment; `listenerOf` names the data-plane listener of a route's backend. */
export function routerRules(table: RouteTable, listenerOf: (route: Route) => string): RouterRule[] {
  const target = (route: Route | undefined): Pick<RouterRule, 'listener' | 'redirect'> =>
    route === undefined ? { redirect: false } : { listener: listenerOf(route), redirect: route.redirect };
  const hosts = [...table.hosts.keys()].filter((h) => h !== '');
  const ordered = [
    ...hosts.filter((h) => !h.startsWith('*.')),
    ...hosts.filter((h) => h.startsWith('*.')),
    '',
  ];
  const rules: RouterRule[] = [];
  for (const host of ordered) {
    for (const r of table.hosts.get(host) ?? []) {
      rules.push({ host, path: { exact: r.exact, path: r.path }, ...target(r.route) });
    }
    rules.push({ host, ...target(table.defaultRoute) });
  }
  return rules;
}
