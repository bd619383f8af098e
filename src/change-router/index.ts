/** The one path of a tracker change: the router, its consumers' order, the grouped change. */
export { ChangeRouter } from './change-router.js';
export {
  type ChangeConsumer,
  type ChangeRoutes,
  CONSUMER_ORDER,
  type ConsumerSlot,
} from './change-routes.js';
export { groupByTopic, type RoutedChange, routedChange, type TopicDiff } from './routed-change.js';
