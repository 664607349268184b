// Packs every lib and loads the tarballs the way users will: from a Nest 11 CommonJS project
// (require) and from a Nest 12 ESM project (import). Catches a broken "main", missing files in
// the tarball, ESM-only output or an undeclared dependency before a release does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'rampart-packages-'));
const npm = (args, cwd) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString();

try {
  const libs = readdirSync(join(root, 'libs')).map((dir) =>
    JSON.parse(readFileSync(join(root, 'libs', dir, 'package.json'), 'utf8')),
  );
  const tarballs = libs.map((lib) => {
    const file = npm(['pack', '-w', lib.name, '--pack-destination', work, '--json'], root);
    return join(work, JSON.parse(file)[0].filename);
  });
  // Optional peers the libs use at runtime in these checks.
  const shared = [
    'reflect-metadata@0.2',
    'rxjs@7',
    'ioredis@6',
    'class-validator',
    'class-transformer',
    '@nestjs/throttler',
  ];
  const consumers = [
    { name: 'nest11-cjs', nest: '11', type: 'commonjs', load: (lib) => `require(${JSON.stringify(lib)})` },
    { name: 'nest12-esm', nest: '12', type: 'module', load: (lib) => `await import(${JSON.stringify(lib)})` },
  ];
  for (const consumer of consumers) {
    const dir = join(work, consumer.name);
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: consumer.name, private: true, type: consumer.type }),
    );
    const nest = ['common', 'core', 'platform-express'].map((p) => `@nestjs/${p}@${consumer.nest}`);
    npm(['install', ...nest, ...shared, ...tarballs], dir);
    const script = [
      consumer.type === 'module' ? "import 'reflect-metadata';" : "require('reflect-metadata');",
      ...libs.map(
        (lib) =>
          `{ const m = ${consumer.load(lib.name)}; if (!Object.keys(m).length) throw new Error('${lib.name}: no exports'); }`,
      ),
      // Boot a real app on the packed libs and check one answer end to end.
      `const { Module } = ${consumer.load('@nestjs/common')};`,
      `const { NestFactory } = ${consumer.load('@nestjs/core')};`,
      `const { RampartCoreModule, useRequestContext } = ${consumer.load('@rampart/core')};`,
      `const { ErrorsModule } = ${consumer.load('@rampart/errors')};`,
      `const { useSecurityHeaders } = ${consumer.load('@rampart/headers')};`,
      'class AppModule {}',
      'Module({ imports: [RampartCoreModule.forRoot({}), ErrorsModule.forRoot({})] })(AppModule);',
      'const app = await NestFactory.create(AppModule, { logger: false });',
      'useRequestContext(app); useSecurityHeaders(app);',
      "await app.listen(0, '127.0.0.1');",
      'const res = await fetch(`http://127.0.0.1:${app.getHttpServer().address().port}/nope`);',
      "const ok = res.status === 404 && res.headers.get('content-type').startsWith('application/problem+json') && res.headers.get('x-request-id') && res.headers.get('x-frame-options') === 'DENY';",
      'await app.close();',
      `if (!ok) throw new Error('${consumer.name}: the packed libs did not answer a 404 problem+json with headers: ' + res.status + ' ' + JSON.stringify([...res.headers]));`,
      `console.log('  ${consumer.name}: ${libs.length} packages load; an app built on them answers as expected');`,
    ].join('\n');
    const file = join(dir, consumer.type === 'module' ? 'check.mjs' : 'check.cjs');
    writeFileSync(
      file,
      consumer.type === 'module'
        ? script
        : `(async () => {\n${script}\n})().catch((e) => { console.error(e); process.exit(1); });`,
    );
    execFileSync(process.execPath, [file], { cwd: dir, stdio: 'inherit' });
  }
  console.log('All packages load from their tarballs in CommonJS (Nest 11) and ESM (Nest 12) projects.');
} finally {
  rmSync(work, { recursive: true, force: true });
}
