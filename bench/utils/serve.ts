// Child process of the bench harness: boots one case of a bench file and reports its port.
import 'reflect-metadata';
import { resolve } from 'node:path';
import type { BenchCases } from './harness';

async function main(): Promise<void> {
  const [file, name] = process.argv.slice(2);
  if (!file || !name) throw new Error('usage: serve.ts <bench file> <case name>');
  const { cases } = (await import(resolve(file))) as { cases: BenchCases };
  const start = cases[name];
  if (!start) throw new Error(`no case "${name}" in ${file}`);
  const app = await start();
  app.useLogger(false);
  // No host, as users' `app.listen(port)`: a dual-stack socket, where an IPv4 client's address
  // reads `::ffff:127.0.0.1` (the load generator still connects to 127.0.0.1).
  await app.listen(0);
  const address = (app.getHttpServer() as import('node:net').Server).address() as { port: number };
  process.send?.({ port: address.port });
  // The harness asks for the CPU time the server used, to report CPU per request beside req/s.
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
