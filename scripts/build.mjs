// Builds every workspace package (libs, then the apps that use them) in dependency order, with tsc.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const packages = new Map();
for (const root of ['libs', 'apps']) {
  for (const name of readdirSync(root)) {
    const file = join(root, name, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((d) =>
      d.startsWith('@rampart/'),
    );
    packages.set(manifest.name, { dir: join(root, name), deps });
  }
}

const built = new Set();
function build(name, trail = []) {
  if (built.has(name)) return;
  if (trail.includes(name)) throw new Error(`Dependency cycle: ${[...trail, name].join(' -> ')}`);
  const pkg = packages.get(name);
  if (!pkg) throw new Error(`${trail.at(-1)} depends on ${name}, which is not a workspace package`);
  for (const dep of pkg.deps) build(dep, [...trail, name]);
  console.log(`build ${name}`);
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(pkg.dir, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  // Every package ships the licence; one file in the repository, copied (and git-ignored) here.
  copyFileSync('LICENSE', join(pkg.dir, 'LICENSE'));
  built.add(name);
}
for (const name of packages.keys()) build(name);
