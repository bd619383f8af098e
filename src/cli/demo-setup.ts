/** The demo routes wired to this node's secret and graph. */
import { fromNodeKey, type GraphologyFriendsGraph } from '../../graph-adapters/graphology/index.js';
import { type DemoRoutesOptions, demoRoutes } from '../http/demo-routes.js';
import { getRoute, type Route } from '../http/route.js';
import type { FriendsGraph } from '../ports/friends-graph.js';

/** The picker lists at most this many users of a big graph file. */
const MAX_PICKER_USERS = 500;

export function createDemoRoutesFor(options: {
  secret: string;
  graph: FriendsGraph;
  graphology: GraphologyFriendsGraph | undefined;
  /** What the node's token policy wants in a token. */
  tokenClaims: DemoRoutesOptions['tokenClaims'];
}): Map<string, Route> {
  const { graphology } = options;
  const handlers = demoRoutes({
    secret: new TextEncoder().encode(options.secret),
    // Other adapters cannot list their users: the page then takes any typed id.
    users: () =>
      graphology ? graphology.graph.nodes().slice(0, MAX_PICKER_USERS).map(fromNodeKey) : [],
    friendsOf: (user) => options.graph.visibleTo(user),
    tokenClaims: options.tokenClaims,
  });
  return new Map([...handlers].map(([path, handler]) => [path, getRoute(handler)]));
}
