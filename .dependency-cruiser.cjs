/**
 * The layering `npm run lint` enforces (issue 17). From the bottom, as the code is:
 *   src/model, src/identifiers   import nothing of src/
 *   src/core                     src/model only (Outcome, RejectReason)
 *   src/normalize                src/core, src/model, src/identifiers
 *   src/connectors/<name>        never another connector
 *   src/                         never test/ (tests in src/ may use test/support), bench/, topologies/
 * Tests (`*.test.ts`) may reach across layers for fixtures; they may not create cycles.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const TEST = '\\.test\\.ts$';

const layer = (name, from, allowed) => ({
  name,
  comment: `${from} imports nothing above it: only ${allowed.join(', ')} of src/`,
  severity: 'error',
  from: { path: `^src/${from}/`, pathNot: TEST },
  to: { path: '^src/', pathNot: `^src/(${[from, ...allowed].join('|')})/` },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'No import cycles, type-only imports included: a cycle is two modules that are really one, and a type-only one knots them for a reader.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    layer('model-is-the-bottom', 'model', []),
    layer('identifiers-is-the-bottom', 'identifiers', []),
    layer('core-imports-only-model', 'core', ['model']),
    layer('normalize-imports-only-below', 'normalize', ['core', 'model', 'identifiers']),
    {
      name: 'connectors-are-independent',
      comment: 'A connector talks to one system; what two share belongs in src/core.',
      severity: 'error',
      from: { path: '^src/connectors/([^/]+)/' },
      to: { path: '^src/connectors/', pathNot: '^src/connectors/$1/' },
    },
    {
      name: 'src-not-to-test',
      comment: 'Production code does not import test code (tests in src/ may use test/support and test/sources).',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST },
      to: { path: '^test/' },
    },
    {
      name: 'src-not-to-bench',
      comment: 'Benchmarks sit on top of src/, never under it.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^bench/' },
    },
    {
      name: 'src-not-to-topologies',
      comment: 'The registry of topologies is handed in by the entry point (bin/); src/ never imports topologies/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^topologies/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: they make cycles for a reader even when the emitted code has none.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
