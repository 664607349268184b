import type { ProjectOptions } from '../utils/project';

/** Options of the `install` schematic (schematics/install/schema.json). @publicApi */
export interface InstallOptions extends ProjectOptions {
  /** Do not run `npm install` after adding the dependencies to package.json. @default false */
  skipInstall?: boolean;
}
