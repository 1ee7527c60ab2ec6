#!/usr/bin/env node
// Packs each published plugin as `npm publish` would (its prepack rewrites the manifest from
// publishConfig) and checks the packed package: every entry point and type declaration of its
// package.json names a built file under dist/ that is in the tarball, no src/ is shipped, and
// each entry point imports. Run after `backstage-cli repo build` (CI: .ci/run).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.cwd();
const plugins = fs
  .readdirSync(path.join(root, 'plugins'))
  .map(dir => path.join(root, 'plugins', dir))
  .filter(dir => {
    const file = path.join(dir, 'package.json');
    return (
      fs.existsSync(file) && !JSON.parse(fs.readFileSync(file, 'utf8')).private
    );
  });

// Unpacked under the repository's node_modules, so their dependencies resolve from it and the
// plugins resolve to each other's packed copies.
const scratch = path.join(root, 'node_modules/.cache/check-packs');
fs.rmSync(scratch, { recursive: true, force: true });
const installed = path.join(scratch, 'node_modules');
fs.mkdirSync(installed, { recursive: true });

const problems = [];
const packed = [];
for (const dir of plugins) {
  const [{ filename, files }] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const manifest = JSON.parse(
    execFileSync(
      'tar',
      ['-xOzf', path.join(scratch, filename), 'package/package.json'],
      {
        encoding: 'utf8',
      },
    ),
  );
  const target = path.join(installed, manifest.name);
  fs.mkdirSync(target, { recursive: true });
  execFileSync('tar', [
    '-xzf',
    path.join(scratch, filename),
    '-C',
    target,
    '--strip-components=1',
  ]);
  const shipped = new Set(files.map(f => f.path));
  const fail = message => problems.push(`${manifest.name}: ${message}`);

  // Every path the manifest points a consumer at: main, module, types, exports, typesVersions.
  const entries = [];
  for (const field of ['main', 'module', 'types']) {
    if (manifest[field]) entries.push([field, manifest[field]]);
  }
  const walk = (where, value) => {
    if (typeof value === 'string') entries.push([where, value]);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        // `backstage` in an export condition is Backstage's metadata, not a path.
        if (key !== 'backstage') walk(`${where}.${key}`, inner);
      }
    }
  };
  walk('exports', manifest.exports);
  walk('typesVersions', manifest.typesVersions);
  for (const [where, file] of entries) {
    const relative = path.posix.normalize(file);
    if (relative === 'package.json') continue;
    if (!relative.startsWith('dist/'))
      fail(`${where} is ${file}, not a built file under dist/`);
    else if (!shipped.has(relative))
      fail(`${where} is ${file}, which is not in the tarball`);
  }
  if (!manifest.types) fail('no types');
  for (const file of shipped) {
    if (file.startsWith('src/')) fail(`ships source ${file}`);
  }
  for (const required of ['LICENSE', 'README.md']) {
    if (!shipped.has(required)) fail(`has no ${required}`);
  }
  packed.push({ manifest, dir, files: shipped.size });
}

// Import each entry point of the packed packages by name, from a module beside them, in a
// separate Node process: it resolves them as a consumer's code would (exports, main).
for (const { manifest, dir, files } of packed) {
  if (manifest.backstage?.role === 'frontend-plugin') {
    // Its ESM imports Material UI v4 by directory (`@material-ui/icons/X`), which bundlers
    // resolve and Node's ESM loader does not: checked above for built entry points and types only.
    console.log(
      `${manifest.name}: entry points not imported (a bundler's module, not Node's)`,
    );
    console.log(`${manifest.name}@${manifest.version}: ${files} files packed`);
    continue;
  }
  const subpaths = manifest.exports
    ? Object.keys(manifest.exports).filter(p => p !== './package.json')
    : ['.'];
  for (const subpath of subpaths) {
    const specifier = path.posix.join(manifest.name, subpath);
    const probe = path.join(scratch, 'probe.mjs');
    fs.writeFileSync(
      probe,
      `const m = await import(${JSON.stringify(specifier)});\n` +
        `if (Object.keys(m).length === 0) throw new Error('exports nothing');\n` +
        `process.stdout.write(Object.keys(m).length + ' exports');\n`,
    );
    try {
      const out = execFileSync(process.execPath, [probe], {
        cwd: scratch,
        // Dependencies npm installed inside the workspace (not hoisted) resolve too.
        env: {
          ...process.env,
          NODE_PATH: [
            path.join(dir, 'node_modules'),
            path.join(root, 'node_modules'),
          ].join(path.delimiter),
        },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      console.log(`${specifier}: imports (${out})`);
    } catch (error) {
      const reason = String(error.stderr || error.message)
        .split('\n')
        .find(line => /^\w*Error\b|^Error/.test(line));
      problems.push(`${specifier}: does not import: ${reason}`);
    }
  }
  console.log(`${manifest.name}@${manifest.version}: ${files} files packed`);
}

fs.rmSync(scratch, { recursive: true, force: true });
if (problems.length) {
  console.error(problems.map(p => `check-packs: ${p}`).join('\n'));
  process.exit(1);
}
console.log(
  `check-packs: ${packed.length} packages pack with built entry points and types`,
);
