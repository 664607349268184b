import { Controller, Get, Header, Post, Query, Req, Res } from '@nestjs/common';
import { Public } from '@rampart/auth';
import { OAuthServer } from '@rampart/oauth-server';
import { getRequestContext, routeOf, SecurityEvents } from '@rampart/core';
import { ForbiddenError } from '@rampart/errors';
import { SecurityHeaders } from '@rampart/headers';
import { LoginThrottle } from '@rampart/rate-limit';
import { ThreatService } from '@rampart/threat';
import { RequestLimits } from '@rampart/validation';
import { UsersService } from '../users/users.service';
import { consentPage, loginPage } from './pages';
import { SampleConsents, SampleSessions } from './sessions';

interface FormRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: Record<string, unknown>;
}

interface RedirectResponse {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
  send(body?: string): unknown;
}

const FORM = 'application/x-www-form-urlencoded';
const HTML = 'text/html; charset=utf-8';
/**
 * The login and consent pages render HTML: nothing may frame them (clickjacking a consent click),
 * nothing may load into them, and they are never cached.
 */
const PAGE_HEADERS = {
  contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  cacheControl: 'no-store',
};

function field(body: Record<string, unknown> | undefined, name: string): string {
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

/**
 * A browser form that logs in cross-site would sign the victim in as the attacker (login CSRF):
 * a POST whose Origin is another site is refused. Scripts send no Origin and carry no cookies.
 */
function assertSameOrigin(req: FormRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const expected = `${getRequestContext(req).protocol}://${String(req.headers.host)}`;
  if (origin !== expected)
    throw new ForbiddenError('Cross-site form posts are refused.', { reason: 'cross_site_form' });
}

function redirect(res: RedirectResponse, location: string, cookie?: string): void {
  res.status(302);
  res.header('Location', location);
  res.header('Cache-Control', 'no-store');
  if (cookie) res.header('Set-Cookie', cookie);
  res.send();
}

/**
 * The sample's login and consent pages for the OAuth server (the host application's part):
 * `GET /oauth/login` shows the form, `POST /oauth/login` checks the demo user's password, starts a
 * session cookie and sends the browser back to the authorization endpoint.
 */
@Public()
@SecurityHeaders(PAGE_HEADERS)
@Controller('oauth')
export class OAuthLoginController {
  constructor(
    private readonly server: OAuthServer,
    private readonly users: UsersService,
    private readonly sessions: SampleSessions,
    private readonly consents: SampleConsents,
    private readonly threat: ThreatService,
    private readonly throttle: LoginThrottle,
    private readonly events: SecurityEvents,
  ) {}

  @Get('login')
  @Header('Content-Type', HTML)
  loginForm(@Query('return_to') returnTo: unknown): string {
    return loginPage(typeof returnTo === 'string' && this.server.isReturnPath(returnTo) ? returnTo : '');
  }

  @Post('login')
  @RequestLimits({ mediaTypes: [FORM], maxBodyBytes: 4096 })
  async login(@Req() req: FormRequest, @Res() res: RedirectResponse): Promise<void> {
    assertSameOrigin(req);
    const returnTo = field(req.body, 'return_to');
    const username = field(req.body, 'username');
    // Failed sign-ins per account and per IP: a blocked account or IP gets 429 before its password
    // is checked; successes never count (an office behind one IP is not locked out).
    const user = await this.throttle.attempt({ ip: getRequestContext(req).clientKey, account: username }, () =>
      this.users.verifyPassword(username, field(req.body, 'password')),
    );
    if (!user) {
      // The failed sign-in as a security event (audit's credential-stuffing alert counts these):
      // no principal, the account is not authenticated; the redactor masks the e-mail.
      this.events.emit({
        type: 'auth.failure',
        severity: 'medium',
        requestId: getRequestContext(req).id,
        clientIp: getRequestContext(req).clientIp,
        route: routeOf(req),
        reason: 'credentials_invalid',
        details: { account: username },
      });
      // Credential stuffing (one IP, many accounts) is acted on by the threat mode; a store outage
      // must not turn a wrong password into a 500.
      await this.threat
        .recordFailedLogin({ ip: getRequestContext(req).clientKey, account: username })
        .catch((error: unknown) => this.threat.storeFailed(error));
      res.status(401);
      res.header('Content-Type', HTML);
      res.send(loginPage(this.server.isReturnPath(returnTo) ? returnTo : '', 'The email or password is wrong.'));
      return;
    }
    const cookie = await this.sessions.start(user.id, getRequestContext(req).protocol === 'https');
    // Only back to the authorization endpoint: a login form that redirects anywhere is an open redirector.
    redirect(res, this.server.isReturnPath(returnTo) ? returnTo : '/health', cookie);
  }

  /**
   * Ends the browser's sign-in session (the end-session half of a logout; the app revokes its
   * refresh token at `POST /oauth/revoke`, RFC 7009, which ends the grant and its access tokens).
   * Same-origin posts only, so another site cannot sign the user out.
   */
  @Post('logout')
  @RequestLimits({ mediaTypes: [FORM], maxBodyBytes: 1024 })
  async logout(@Req() req: FormRequest, @Res() res: RedirectResponse): Promise<void> {
    assertSameOrigin(req);
    await this.sessions.end(req);
    res.status(204);
    res.header('Set-Cookie', this.sessions.clearCookie(getRequestContext(req).protocol === 'https'));
    res.send();
  }

  @Get('consent')
  @Header('Content-Type', HTML)
  async consentForm(@Query('return_to') returnTo: unknown): Promise<string> {
    const pending = typeof returnTo === 'string' ? await this.server.describeInteraction(returnTo) : undefined;
    if (!pending || typeof returnTo !== 'string') return loginPage('', 'This request has expired: start again.');
    return consentPage(returnTo, pending.client.name, pending.scopes);
  }

  @Post('consent')
  @RequestLimits({ mediaTypes: [FORM], maxBodyBytes: 4096 })
  async consent(@Req() req: FormRequest, @Res() res: RedirectResponse): Promise<void> {
    assertSameOrigin(req);
    const returnTo = field(req.body, 'return_to');
    const pending = await this.server.describeInteraction(returnTo);
    const userId = await this.sessions.userIdOf(req);
    if (!pending || !userId) throw new ForbiddenError('Sign in first.', { reason: 'consent_without_session' });
    if (field(req.body, 'decision') === 'allow') {
      await this.consents.grant(userId, pending.client.id, pending.scopes);
      redirect(res, returnTo);
    } else {
      redirect(res, `${returnTo}&consent=denied`);
    }
  }
}
