// Packs every lib and uses the tarballs the way users will:
// - each tarball holds its README, LICENSE, package.json and built code, and nothing else;
// - a Nest 11 CommonJS project (require) and a Nest 12 ESM project (import) load every package
//   and boot an app that must answer a 404 problem+json with the security headers;
// - the Nest 11 project runs an e2e test under Jest (the config `nest new` writes, plus Rampart's
//   one-line preset), the Nest 12 project the same test under Vitest: auth, rate limit on Redis
//   and threat detection answer 401, 429 and 403.
// Catches a broken "main", missing or stray files, ESM-only output or an undeclared dependency
// before a release does.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'rampart-packages-'));
const npm = (args, cwd) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString();
const json = (file, value) => writeFileSync(file, JSON.stringify(value, null, 2));

/**
 * Docs are code: every TypeScript block of the READMEs and SECURITY.md is compiled, as its own
 * module, against the packed packages in the Nest 12 ESM consumer. A block declares what it
 * assumes (`declare const …`) and never awaits at top level: a CommonJS Nest 11 app cannot.
 */
function compileDocBlocks(dir) {
  const sources = [
    'README.md',
    'SECURITY.md',
    ...readdirSync(join(root, 'libs')).map((lib) => `libs/${lib}/README.md`),
  ];
  mkdirSync(join(dir, 'docs'));
  let count = 0;
  for (const source of sources.filter((file) => existsSync(join(root, file)))) {
    const text = readFileSync(join(root, source), 'utf8');
    for (const block of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
      const line = text.slice(0, block.index).split('\n').length;
      // Formatted code: a statement at column 0 is at top level.
      if (/^(?!\s)[^\n/]*\bawait\b/m.test(block[1])) {
        throw new Error(`${source}:${line}: top-level await in a TypeScript block; CommonJS apps cannot run it`);
      }
      // A block that starts with `// src/<file>.ts` is a file of a project (the README's complete
      // example): it is written there, so its relative imports resolve.
      const file = /^\/\/ (src\/[\w/.-]+\.ts)\n/.exec(block[1])?.[1];
      const target = file
        ? join(dir, 'docs', source.replaceAll('/', '__'), file)
        : join(dir, 'docs', `${source.replaceAll('/', '__')}__line-${line}.ts`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file ? block[1] : `${block[1]}\nexport {};\n`);
      count++;
    }
  }
  json(join(dir, 'tsconfig.docs.json'), {
    compilerOptions: {
      module: 'nodenext',
      target: 'ES2023',
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      // The blocks' own code is what is checked; strict library checking is the e2e compile's job.
      skipLibCheck: true,
      types: ['node'],
      noEmit: true,
    },
    include: ['docs', 'test/redis-errors.d.ts'],
  });
  execFileSync('npx', ['tsc', '-p', 'tsconfig.docs.json'], { cwd: dir, stdio: 'inherit' });
  console.log(`  docs: ${count} TypeScript blocks compile against the packed packages`);
}

/**
 * The README's complete example ("Secure an existing API"), copied verbatim into the Nest 11
 * CommonJS consumer, compiled as `nest new` compiles, then booted on Express and on Fastify with a
 * local JWKS and attacked: every claim of the example is checked over real HTTP.
 */
async function runCompleteExample(dir) {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const files = [...text.matchAll(/^```ts\n\/\/ (src\/[\w/.-]+\.ts)\n([\s\S]*?)^```$/gm)];
  if (files.length === 0) throw new Error('README.md: the complete example (blocks starting with // src/…) is missing');
  for (const [, file, body] of files) {
    mkdirSync(dirname(join(dir, 'example', file)), { recursive: true });
    writeFileSync(join(dir, 'example', file), `// ${file}\n${body}`);
  }
  json(join(dir, 'tsconfig.example.json'), {
    extends: './tsconfig.json',
    compilerOptions: { rootDir: 'example', outDir: 'example-dist' },
    include: ['example'],
  });
  execFileSync('npx', ['tsc', '-p', 'tsconfig.example.json'], { cwd: dir, stdio: 'inherit' });

  const jose = await import('jose');
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'example', alg: 'ES256', use: 'sig' }] };
  const keys = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)),
  );
  await new Promise((ok) => keys.listen(0, '127.0.0.1', ok));
  const issuer = 'https://issuer.example.test';
  const audience = 'https://api.example.test';
  const token = (scope) =>
    new jose.SignJWT({ scope, client_id: 'example-client' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'example' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('user-1')
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  try {
    for (const platform of ['express', 'fastify']) {
      const port = await freePort();
      const app = spawn(process.execPath, ['example-dist/src/main.js'], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'inherit'], // its security events would flood the CI log
        env: {
          ...process.env,
          PLATFORM: platform,
          PORT: String(port),
          JWT_ISSUER: issuer,
          JWT_AUDIENCE: audience,
          JWKS_URL: `http://127.0.0.1:${keys.address().port}/jwks.json`,
        },
      });
      try {
        const base = `http://127.0.0.1:${port}`;
        await waitUntilUp(`${base}/health`);
        const expect = async (what, response, status, check = () => true) => {
          const res = await response;
          const body = await res.text();
          if (res.status !== status || !check(res, body)) {
            throw new Error(`complete example on ${platform}: ${what}: got ${res.status} ${body}`);
          }
        };
        const json = { 'content-type': 'application/json' };
        await expect('public route with the security headers', fetch(`${base}/health`), 200, (res) =>
          Boolean(res.headers.get('x-request-id') && res.headers.get('x-frame-options') === 'DENY'),
        );
        await expect('no token', fetch(`${base}/notes`), 401, (res) =>
          res.headers.get('content-type').startsWith('application/problem+json'),
        );
        const reader = { authorization: `Bearer ${await token('notes:read')}` };
        const writer = { authorization: `Bearer ${await token('notes:write')}` };
        await expect('a token with the scope', fetch(`${base}/notes`, { headers: reader }), 200);
        await expect(
          'a token without the scope',
          fetch(`${base}/notes`, { method: 'POST', headers: { ...reader, ...json }, body: '{"title":"a"}' }),
          403,
        );
        await expect(
          'mass assignment',
          fetch(`${base}/notes`, {
            method: 'POST',
            headers: { ...writer, ...json },
            body: '{"title":"a","owner":"x"}',
          }),
          400,
        );
        await expect(
          'a valid note',
          fetch(`${base}/notes`, { method: 'POST', headers: { ...writer, ...json }, body: '{"title":"a"}' }),
          201,
        );
        await expect(
          'an injection',
          fetch(`${base}/health?q=${encodeURIComponent("1' OR '1'='1' --")}`),
          403,
          (_res, body) => body.includes('THREAT_DETECTED'),
        );
        const flood = await Promise.all(Array.from({ length: 60 }, () => fetch(`${base}/health`)));
        if (!flood.some((res) => res.status === 429))
          throw new Error(`complete example on ${platform}: a flood was not limited`);
        console.log(
          `  README's complete example: ${platform} answers 200, 401, 403, 400, 201, 403 and 429 as it claims`,
        );
      } finally {
        app.kill();
      }
      // Both platforms count 127.0.0.1 in the same Redis: let the flood's 1 s tier pass before the next.
      await new Promise((resolve) => setTimeout(resolve, 2500));
    }
  } finally {
    keys.close();
  }
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

async function waitUntilUp(url) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 30 s`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** What a tarball may hold besides its built code (@rampart/schematics: its collection, schemas and templates). */
const REQUIRED_FILES = ['package.json', 'README.md', 'LICENSE'];
const ALLOWED =
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|jest-preset\.cjs|schema\/.+\.json|collection\.json|schematics\/.+\.(json|template)|grafana\/.+\.json|prometheus\/.+\.ya?ml|dist\/.+\.(js|d\.ts|js\.map|json))$/;

try {
  const libs = readdirSync(join(root, 'libs')).map((dir) =>
    JSON.parse(readFileSync(join(root, 'libs', dir, 'package.json'), 'utf8')),
  );
  const tarballs = libs.map((lib) => {
    const [packed] = JSON.parse(npm(['pack', '-w', lib.name, '--pack-destination', work, '--json'], root));
    const files = packed.files.map((f) => f.path);
    const missing = REQUIRED_FILES.filter((f) => !files.includes(f));
    const stray = files.filter((f) => !ALLOWED.test(f) || /\.spec\.|\.tsbuildinfo$/.test(f));
    if (missing.length || stray.length) {
      throw new Error(`${lib.name}: tarball misses [${missing.join(', ')}], has stray files [${stray.join(', ')}]`);
    }
    return join(work, packed.filename);
  });
  console.log(`  ${tarballs.length} tarballs hold README, LICENSE and built code only`);

  // Optional peers the libs use at run time in these checks.
  const shared = [
    'reflect-metadata@0.2',
    'rxjs@7',
    'ioredis@6',
    'class-validator',
    'class-transformer',
    '@nestjs/throttler',
    'zod@4',
    '@nestjs/terminus',
  ];
  const consumers = [
    {
      name: 'nest11-cjs',
      nest: '11',
      type: 'commonjs',
      load: (lib) => `require(${JSON.stringify(lib)})`,
      testDeps: [
        'jest@30',
        'ts-jest@29',
        '@types/jest@30',
        'typescript@5',
        '@types/node@20',
        'supertest@7',
        '@types/supertest',
      ],
      setUpTests: (dir) => {
        // As `nest new` (Nest 11) writes them, plus `preset`.
        json(join(dir, 'tsconfig.json'), {
          compilerOptions: {
            module: 'commonjs',
            declaration: true,
            emitDecoratorMetadata: true,
            experimentalDecorators: true,
            allowSyntheticDefaultImports: true,
            target: 'ES2023',
            outDir: './dist',
            baseUrl: './',
            skipLibCheck: false,
            strictNullChecks: true,
            forceConsistentCasingInFileNames: true,
            noImplicitAny: false,
            esModuleInterop: true,
          },
        });
        json(join(dir, 'test', 'jest-e2e.json'), {
          moduleFileExtensions: ['js', 'json', 'ts'],
          rootDir: '.',
          testEnvironment: 'node',
          testRegex: '.e2e-spec.ts$',
          transform: { '^.+\\.(t|j)s$': 'ts-jest' },
          preset: '@rampart/core',
        });
        return ['npx', 'jest', '--config', './test/jest-e2e.json'];
      },
    },
    {
      name: 'nest12-esm',
      nest: '12',
      type: 'module',
      load: (lib) => `await import(${JSON.stringify(lib)})`,
      testDeps: ['vitest@4', 'typescript@5', '@types/node@20', 'supertest@7', '@types/supertest'],
      setUpTests: (dir) => {
        json(join(dir, 'tsconfig.json'), {
          compilerOptions: {
            module: 'nodenext',
            target: 'ES2023',
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            strict: true,
            skipLibCheck: false,
            types: ['vitest/globals', 'node'],
            noEmit: true,
          },
          include: ['test'],
        });
        // ioredis' own declarations import `redis-errors`, which ships no types: a strict project
        // with skipLibCheck off needs this one line whether or not it uses Rampart (README: Install).
        writeFileSync(join(dir, 'test', 'redis-errors.d.ts'), "declare module 'redis-errors';\n");
        writeFileSync(
          join(dir, 'vitest.config.mjs'),
          "export default { test: { globals: true, include: ['test/**/*.e2e-spec.ts'] } };\n",
        );
        return ['npx', 'vitest', 'run'];
      },
    },
  ];
  for (const consumer of consumers) {
    const dir = join(work, consumer.name);
    mkdirSync(join(dir, 'test'), { recursive: true });
    json(join(dir, 'package.json'), { name: consumer.name, private: true, type: consumer.type });
    const nest = ['common', 'core', 'platform-express', 'platform-fastify', 'testing'].map(
      (p) => `@nestjs/${p}@${consumer.nest}`,
    );
    // @rampart/openapi's optional peer, in the major that matches the consumer's Nest.
    const swagger = `@nestjs/swagger@${consumer.nest}`;
    npm(['install', ...nest, swagger, ...shared, ...consumer.testDeps, ...tarballs], dir);
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
    // @rampart/scanner's bin is linked and runs: `rampart scan --help`.
    const help = execFileSync('npx', ['--no-install', 'rampart', 'scan', '--help'], { cwd: dir }).toString();
    if (!help.startsWith('Usage: rampart scan')) throw new Error(`${consumer.name}: rampart --help printed ${help}`);

    copyFileSync(join(root, 'scripts', 'consumer', 'app.e2e-spec.ts'), join(dir, 'test', 'app.e2e-spec.ts'));
    const [command, ...args] = consumer.setUpTests(dir);
    // The consumer compiles Rampart's declarations with skipLibCheck off, as strict projects do.
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { cwd: dir, stdio: 'inherit' });
    execFileSync(command, args, { cwd: dir, stdio: 'inherit', env: { ...process.env, CI: 'true' } });
    if (consumer.type === 'module') compileDocBlocks(dir);
    else await runCompleteExample(dir);
    console.log(`  ${consumer.name}: the e2e test passes under ${args[0]}`);
  }
  console.log('All packages load from their tarballs and pass e2e tests in CommonJS/Jest and ESM/Vitest projects.');
} finally {
  rmSync(work, { recursive: true, force: true });
}
