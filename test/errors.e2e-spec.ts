import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from './utils/auth';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

describe.each(PLATFORMS)('errors as problem+json (%s)', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(platform);
  });
  afterAll(() => t.close());

  it('answers an unknown route with a 404 problem that does not echo the path', async () => {
    const res = await request(t.server).get('/no-such-route/<script>');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      title: 'Not found',
      type: 'urn:rampart:problem:not-found',
    });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
    expect(Date.parse(res.body.timestamp)).not.toBeNaN();
    expect(res.text).not.toContain('script');
  });

  it('answers an unexpected error with a bare 500 and logs it, once, with the request id', async () => {
    const res = await request(t.server).get('/test/crash');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    for (const secret of ['ECONNREFUSED', '10.0.0.5', '5432', 'hunter2', '/srv/app', 'db.ts', 'Error:', ' at ']) {
      expect(res.text).not.toContain(secret);
    }
    const logged = t.logs.lines.filter((line) => line.includes('hunter2'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(res.body.requestId);
  });

  it('logs the path of a failed request with its query string redacted', async () => {
    const res = await request(t.server).get('/test/crash?api_key=k-4f1a9c&code=c-77b2e1&page=2');
    expect(res.status).toBe(500);
    const lines = t.logs.lines.filter((line) => line.includes(res.body.requestId as string));
    const logged = lines.filter((line) => line.includes('Unhandled error'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('"path":"/test/crash"');
    expect(logged[0]).toContain('"page":"2"');
    // Nothing the server logged about this request (the error, its security event) holds them.
    for (const secret of ['k-4f1a9c', 'c-77b2e1']) expect(lines.join('\n')).not.toContain(secret);
  });

  it('logs a deliberate 503 as one warning without a stack, not as an unhandled error', async () => {
    const res = await request(t.server).get('/test/unavailable');
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBeDefined();
    const lines = t.logs.lines.filter((line) => line.includes(res.body.requestId as string));
    expect(lines.filter((line) => line.includes('Unhandled error'))).toEqual([]);
    const logged = lines.filter((line) => line.includes('Service unavailable'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^warn /);
    expect(logged[0]).toContain('"reason":"maintenance"');
    expect(logged[0]).not.toContain('Unhandled error');
    expect(logged[0]).not.toContain(' at ');
  });

  it('answers malformed JSON with 400 and none of the parser message', async () => {
    const res = await request(t.server)
      .post('/notes')
      .set('Content-Type', 'application/json')
      .send('{"title": secret-body');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BAD_REQUEST');
    expect(res.text).not.toContain('secret-body');
    expect(res.text).not.toMatch(/position|Unexpected|token/i);
  });

  it('answers a 2 MB body with 413 before reading it', async () => {
    const res = await request(t.server)
      .post('/notes')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ title: 't', body: 'x'.repeat(2 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers a chunked body over the limit with 413 (no Content-Length to check up front)', async () => {
    const req = request(t.server).post('/notes').set('Content-Type', 'application/json');
    req.write(`{"title":"t","body":"${'x'.repeat(150 * 1024)}"}`);
    const res = await req;
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers a body of another media type with 415', async () => {
    const res = await request(t.server).post('/notes').set('Content-Type', 'application/xml').send('<note/>');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a validation failure with 400 and the failing fields', async () => {
    const res = await request(t.server)
      .post('/notes')
      .set(await bearer(t.app))
      .send({ title: '' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(res.body.errors).toContainEqual(expect.objectContaining({ field: 'title' }));
  });

  it('accepts a well-formed request', async () => {
    const auth = await bearer(t.app);
    const created = await request(t.server).post('/notes').set(auth).send({ title: 'Hello', body: 'world' });
    expect(created.status).toBe(201);
    const read = await request(t.server).get(`/notes/${created.body.id}`).set(auth);
    expect(read.body).toMatchObject({ title: 'Hello', body: 'world' });
  });
});
