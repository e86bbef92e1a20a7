// Jest runs the TypeScript sources as native ES modules (Nest 12 ships only ESM):
// run it through `npm test` or with NODE_OPTIONS=--experimental-vm-modules.
const workspaceAliases = {
  '^@modelyard/(contracts|platform|testing|model-formats|providers)$': '<rootDir>/libs/$1/src/index.ts',
  '^@modelyard/(gateway|registry|ingest|inference|metrics|standalone)$': '<rootDir>/services/$1/src/index.ts',
  // @fastify/static (Swagger UI's assets) is CommonJS but requires the ESM-only content-disposition 3;
  // Node 20 allows that require, Jest's module loader does not. Tests get its CommonJS 1.x, same API.
  '^content-disposition$': '<rootDir>/node_modules/content-disposition-cjs/index.js',
  // TypeScript's NodeNext resolution wants `./x.js` in imports; the file on disk is `./x.ts`.
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

const base = {
  testEnvironment: '<rootDir>/jest.environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: workspaceAliases,
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};

// The web console's component tests: jsdom, React's JSX, compiled to CommonJS (the console's
// packages — antd, react-router, chart.js — all ship a CommonJS build Jest loads without flags).
const web = {
  displayName: 'web',
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/web/src/**/*.spec.{ts,tsx}'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/web/tsconfig.spec.json' }] },
  setupFilesAfterEnv: ['<rootDir>/web/jest.setup.ts'],
  // Some CommonJS builds of Ant Design's packages require an `es/` (ESM) file of another one
  // (@ant-design/icons' lib/colorUtils.js); each has the same file under lib/.
  moduleNameMapper: { '^(antd|@ant-design/[^/]+|@rc-component/[^/]+)/es/(.*)$': '<rootDir>/node_modules/$1/lib/$2' },
  modulePathIgnorePatterns: ['<rootDir>/web/dist/'],
};

export default {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{libs,services}/*/src/**/*.spec.ts', '<rootDir>/e2e/src/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'int',
      testMatch: ['<rootDir>/{libs,services}/*/{src,test}/**/*.int-spec.ts', '<rootDir>/e2e/**/*.int-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/jest.int-setup.js'],
    },
    web,
  ],
};
