// Types of scripts/bundle.mjs for the tests that build the bundle with its options.
import type { BuildOptions } from 'esbuild';

export declare const bundleOptions: BuildOptions;
export declare const BUNDLE_ENTRIES: string[];
