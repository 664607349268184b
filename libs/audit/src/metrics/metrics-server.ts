import { createServer, type Server } from 'node:http';
import type { AuditMetrics } from './audit-metrics';

/**
 * A metrics endpoint on a port of its own (`GET /metrics`), apart from the API: a firewall or a
 * NetworkPolicy can keep it private. Loopback without a token, anywhere else only with one.
 */
export async function startMetricsServer(
  metrics: AuditMetrics,
  options: { port: number; host: string; token: string | undefined },
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
      return;
    }
    const answer =
      options.token === undefined
        ? metrics.registry.metrics().then((body) => ({
            status: 200,
            contentType: metrics.registry.contentType,
            body,
            headers: {},
          }))
        : metrics.scrape(req.headers.authorization);
    answer.then(
      (r) => res.writeHead(r.status, { ...r.headers, 'Content-Type': r.contentType }).end(r.body),
      () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Metrics unavailable\n'),
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}
