// Cost of Rampart's validation preset over Nest's default ValidationPipe and over no validation,
// on one route with a nested DTO (~1 kB body). Run:
//   flock /tmp/bench.lock node bench/run.mjs bench/validation.bench.ts
import { Body, Controller, Module, Post, ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RouteLimitsGuard, SecureValidationPipe, useRequestLimits } from '@rampart/validation';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Reflector } from '@nestjs/core';
import { z } from 'zod';
import { compare, printTable, type BenchCases } from './utils/harness';

class CustomerDto {
  @IsString() @MaxLength(100) name!: string;
  @IsEmail() @MaxLength(255) email!: string;
}

class LineDto {
  @Matches(/^[A-Z0-9-]{3,20}$/) sku!: string;
  @IsInt() @Min(1) @Max(100) quantity!: number;
}

class OrderDto {
  @ValidateNested() @Type(() => CustomerDto) customer!: CustomerDto;
  @ValidateNested({ each: true }) @ArrayMaxSize(20) @Type(() => LineDto) lines!: LineDto[];
  @IsOptional() @IsString() @MaxLength(500) note?: string;
}

const orderSchema = z.strictObject({
  customer: z.strictObject({ name: z.string().max(100), email: z.email().max(255) }),
  lines: z
    .array(z.strictObject({ sku: z.string().regex(/^[A-Z0-9-]{3,20}$/), quantity: z.int().min(1).max(100) }))
    .max(20),
  note: z.string().max(500).optional(),
});

@Controller('orders')
class DtoController {
  @Post()
  create(@Body() order: OrderDto): { ok: true; lines: number } {
    return { ok: true, lines: order.lines.length };
  }
}

@Controller('orders')
class UncheckedController {
  @Post()
  create(@Body() order: { lines: unknown[] }): { ok: true; lines: number } {
    return { ok: true, lines: order.lines.length };
  }
}

@Controller('orders')
class SchemaController {
  @Post()
  create(@Body({ schema: orderSchema }) order: z.infer<typeof orderSchema>): { ok: true; lines: number } {
    return { ok: true, lines: order.lines.length };
  }
}

@Module({ controllers: [DtoController] })
class DtoModule {}
@Module({ controllers: [UncheckedController] })
class UncheckedModule {}
@Module({ controllers: [SchemaController] })
class SchemaModule {}

async function create(
  module: object,
  setup: (app: INestApplication) => void = () => undefined,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, { logger: false });
  setup(app);
  return app;
}

export const cases: BenchCases = {
  "Nest's default ValidationPipe": () => create(DtoModule, (app) => app.useGlobalPipes(new ValidationPipe())),
  'Rampart SecureValidationPipe': () => create(DtoModule, (app) => app.useGlobalPipes(new SecureValidationPipe())),
  'no validation': () => create(UncheckedModule),
  'Rampart pipe + zod schema': () => create(SchemaModule, (app) => app.useGlobalPipes(new SecureValidationPipe())),
  'Rampart pipe + request limits + timeout': () =>
    create(DtoModule, (app) => {
      useRequestLimits(app);
      app.useGlobalPipes(new SecureValidationPipe());
      app.useGlobalGuards(new RouteLimitsGuard(app.get(Reflector)));
    }),
};

const body = JSON.stringify({
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  lines: Array.from({ length: 10 }, (_, i) => ({ sku: `SKU-${1000 + i}`, quantity: (i % 5) + 1 })),
  note: 'Leave at the door. '.repeat(20).trim(),
});

async function main(): Promise<void> {
  const names = Object.keys(cases);
  printTable(
    `Validation: POST /orders, nested DTO, ${Buffer.byteLength(body)} B body, 50 connections, medians of 5 × 5 s`,
    await compare(__filename, names, {
      path: '/orders',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }),
  );
}

if (require.main === module) void main();
