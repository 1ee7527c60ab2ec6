import '@testing-library/jest-dom';

// jsdom lays nothing out and has no getBBox; the incident view's service map
// (core-components' DependencyGraph) measures its nodes and labels with it.
Object.defineProperty(window.SVGElement.prototype, 'getBBox', {
  configurable: true,
  value: () => ({ x: 0, y: 0, width: 120, height: 36 }),
});
