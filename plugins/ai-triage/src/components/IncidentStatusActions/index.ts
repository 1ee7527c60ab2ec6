export {
  CurrentRootCauseBanner,
  IncidentStatusActions,
} from './IncidentStatusActions';
export { IncidentTicket } from './IncidentTicket';
