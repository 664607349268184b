import { Module } from '@nestjs/common';
import { NotesModule } from '../notes/notes.module';
import { PartnerController } from './partner.controller';

@Module({ imports: [NotesModule], controllers: [PartnerController] })
export class PartnerModule {}
