export { TriageQualityPage } from './TriageQualityPage';
