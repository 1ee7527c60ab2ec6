import { aiTriagePlugin } from './plugin';

describe('aiTriagePlugin', () => {
  it('provides the client and the Incidents tab under stable extension ids', () => {
    expect(aiTriagePlugin.getExtension('api:ai-triage')).toBeDefined();
    expect(
      aiTriagePlugin.getExtension('entity-content:ai-triage/incidents'),
    ).toBeDefined();
  });
});
