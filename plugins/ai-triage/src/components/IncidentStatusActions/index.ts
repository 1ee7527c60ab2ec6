export {
  CurrentRootCauseBanner,
  IncidentStatusActions,
} from './IncidentStatusActions';
