export { IncidentsTab } from './IncidentsTab';
