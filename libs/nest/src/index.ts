export { RampartModule } from './rampart.module';
export { useRampart } from './use-rampart';
export type {
  RampartModuleOptions,
  RampartModuleAsyncOptions,
  RampartPlatformOptions,
  RampartLib,
  RampartAsyncPart,
  RampartPartOptions,
  RampartModuleFactoryOptions,
} from './rampart.options';
