// Import cycles are forbidden in the plugins' sources: between files, and between folders; and
// each room (folder) of the backend imports only the rooms docs/architecture.md allows it.
// Run by `npm test` (npm run lint:cycles). Tests and test utilities are left out: they may reach
// into any room.
const backend = 'plugins/ai-triage-backend/src';

// The rooms of the backend plugin and the other rooms each may import, as docs/architecture.md
// lists them (pipeline/, plugin.ts and index.ts may import any; every room may import
// configSection.ts).
const rooms = {
  actions: ['catalog', 'database', 'ingest', 'permissions', 'workflow'],
  catalog: [],
  database: ['queue', 'sql'],
  enrichment: [
    'catalog',
    'database',
    'grouping',
    'observability',
    'queue',
    'retriage',
    'telemetry',
  ],
  evaluation: ['database', 'ingest', 'reasoning', 'sql'],
  grouping: ['database'],
  ingest: ['catalog', 'database', 'queue'],
  observability: [],
  outbound: ['catalog', 'queue'],
  permissions: ['catalog', 'database'],
  publishing: ['database'],
  queue: ['observability', 'sql'],
  reasoning: [
    'database',
    'enrichment',
    'grouping',
    'observability',
    'publishing',
    'queue',
  ],
  retention: [],
  retriage: ['database', 'telemetry'],
  service: [
    'catalog',
    'database',
    'ingest',
    'permissions',
    'queue',
    'workflow',
  ],
  sql: [],
  telemetry: ['ingest', 'service'],
  workflow: ['catalog', 'database', 'outbound', 'publishing', 'queue', 'sql'],
};

const roomRules = Object.entries(rooms).map(([room, allowed]) => ({
  name: `room-${room}`,
  severity: 'error',
  comment: `${room}/ may import only ${
    allowed.join(', ') || 'no other room'
  } (docs/architecture.md)`,
  from: { path: `^${backend}/${room}/` },
  to: {
    path: `^${backend}/`,
    // configSection.ts (how every room reads its aiTriage.* section) imports no room.
    pathNot: [
      `^${backend}/(${[room, ...allowed].join('|')})/`,
      `^${backend}/configSection\\.ts$`,
    ],
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...roomRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other, directly or through others.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      scope: 'folder',
      comment:
        'Folders whose files import each other, directly or through other folders.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: {
      path: ['\\.test\\.tsx?$', '__testUtils__/', '/dev/', '\\.d\\.ts$'],
    },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
