import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Public } from '@rampart/auth';
import { UnauthorizedError } from '@rampart/errors';
import { RateLimit } from '@rampart/rate-limit';

/**
 * A placeholder login that refuses every attempt: it exists to show the login limit (5 per minute
 * per IP, then a 15-minute block). Replace it with a real credential check.
 */
@Controller('auth')
export class LoginController {
  @Public()
  @RateLimit('login')
  @Post('login')
  @HttpCode(200)
  login(@Body() _body: unknown): never {
    throw new UnauthorizedError('The username or password is wrong.', { reason: 'invalid_credentials' });
  }
}
