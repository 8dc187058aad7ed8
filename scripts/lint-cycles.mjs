// npm run lint:cycles: fails on an import circle anywhere in the sources madge reads (the folders are
// given on the command line, its settings in .madgerc), and on an import of a workspace package that
// madge could not resolve to a source file: a subpath export missing from tsconfig.cycles.json leaves
// every import through it out of the graph, and a circle through it would pass unseen.
import { readFileSync } from 'node:fs';
import madge from 'madge';

const settings = JSON.parse(
  readFileSync(new URL('../.madgerc', import.meta.url), 'utf8').replace(/^\s*\/\/.*$/gm, ''),
);
// Build output is not walked into (a plain-JS fixture reaches dist/): its imports are not ours to map.
const graph = await madge(process.argv.slice(2), {
  ...settings,
  dependencyFilter: (path) => !path.includes('/dist/'),
});
const circles = graph.circular();
const unresolved = graph.warnings().skipped.filter((name) => name.startsWith('@tandem/'));
for (const circle of circles) console.error(`import circle: ${circle.join(' -> ')}`);
for (const name of unresolved)
  console.error(
    `not resolved: ${name} (map it to its source in tsconfig.cycles.json, as its package's exports map it)`,
  );
console.log(
  `${Object.keys(graph.obj()).length} files read: ${circles.length} import circles, ${unresolved.length} unresolved workspace imports`,
);
process.exitCode = circles.length > 0 || unresolved.length > 0 ? 1 : 0;
