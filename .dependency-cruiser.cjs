/**
 * Import rules, checked in CI (`npm run lint`): no circles between modules, and none between
 * the folders of src/ either (a folder is a concern: cgroup/ knows nothing of runtime/).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'modules that import each other (directly or around a ring) cannot be read one at a time',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      comment: 'folders of src/ that import each other: each concern builds on the ones below it',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'a module nothing imports is dead code (entry points, declarations and the browser files of the view, which its server reads, excepted)',
      from: { orphan: true, path: '^src/', pathNot: ['^src/cli/(main|oci-main)\\.ts$', '\\.d\\.ts$', '^src/view/page/'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist|build)/' },
  },
};
