export { IncidentFeedPage } from './IncidentFeedPage';
